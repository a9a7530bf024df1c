/**
 * 用户 (customers): the billing party, a person or an organisation. The identity number is checked (a
 * resident id's GB 11643 check character, a credit code's GB 32100 one), kept whole for the counter's
 * look-up by the holder, and shown masked everywhere (`maskIdNumber`). One identity number, one customer.
 */
import { defineRoute, PackError, type PackServices, type PackTx } from '@shuiyun/sdk';
import { z } from 'zod';
import { maskIdNumber } from '../domain/index.js';
import { conflict, invalid, l, page, Params, PERMISSIONS } from '../shared.js';
import { creditCodeProblem, ID_TYPES, type IdType, normalizeIdNumber, normalizePhone, phoneDigits, residentIdProblem } from './identity.js';
import { CUSTOMER_COLUMNS, type CustomerRow, pageRows, prefixEnd, presentCustomer } from './model.js';

export const customerInput = z.strictObject({
  kind: z.enum(['person', 'organisation']),
  name: z.string().trim().min(1, 'a name is required').max(100, 'at most 100 characters'),
  idType: z.enum(ID_TYPES).optional(),
  idNumber: z.string().trim().min(1).max(40).optional(),
  phone: z.string().trim().min(1).max(30).optional(),
});
export type CustomerInput = z.output<typeof customerInput>;

export interface CheckedCustomer {
  kind: 'person' | 'organisation';
  name: string;
  idType: IdType | null;
  idNumber: string | null;
  phone: string | null;
}

/** Checks a new customer's identity number and phone; refusals name the field under `path` (`body.customer`). */
export function checkCustomer(input: CustomerInput, path: string): CheckedCustomer {
  let idType: IdType | null = input.idType ?? null;
  let idNumber: string | null = null;
  if (input.idNumber !== undefined) {
    idNumber = normalizeIdNumber(input.idNumber);
    idType ??= input.kind === 'person' ? 'resident_id' : 'credit_code';
    if (idType === 'resident_id') {
      const problem = residentIdProblem(idNumber);
      if (problem === 'format') throw invalid(l('身份证号应为 18 位：17 位数字加 1 位校验码（数字或 X）', 'A resident id has 18 characters: 17 digits and a check digit (a digit or X)'), `${path}.idNumber`);
      if (problem === 'birth_date') throw invalid(l('身份证号中的出生日期无效', 'The birth date inside the resident id is not a real date'), `${path}.idNumber`);
      if (problem === 'check_digit') throw invalid(l('身份证号校验码不正确（GB 11643）', 'The resident id check digit is wrong (GB 11643)'), `${path}.idNumber`);
    } else if (idType === 'credit_code') {
      const problem = creditCodeProblem(idNumber);
      if (problem === 'format') throw invalid(l('统一社会信用代码应为 18 位数字或大写字母（不含 I、O、S、V、Z）', 'A unified social credit code has 18 digits or capitals (no I, O, S, V, Z)'), `${path}.idNumber`);
      if (problem === 'check_digit') throw invalid(l('统一社会信用代码校验码不正确（GB 32100）', 'The credit code check character is wrong (GB 32100)'), `${path}.idNumber`);
    } else if (!/^[A-Z0-9-]{3,40}$/.test(idNumber)) {
      throw invalid(l('证件号应为 3 到 40 位字母、数字或 -', 'A document number has 3 to 40 letters, digits or -'), `${path}.idNumber`);
    }
  } else if (idType !== null) {
    throw invalid(l('填写了证件类型，请同时填写证件号', 'An id type was given without its number'), `${path}.idNumber`);
  }
  let phone: string | null = null;
  if (input.phone !== undefined) {
    phone = normalizePhone(input.phone);
    if (phone === null) throw invalid(l('电话应为 5 到 20 位数字（可带 +、空格、-）', 'A phone has 5 to 20 digits (+, spaces and - allowed)'), `${path}.phone`);
  }
  return { kind: input.kind, name: input.name, idType, idNumber, phone };
}

/** Creates a checked customer in the caller's tenant; the same identity number twice is refused (409). */
export async function createCustomer(tx: PackTx, services: PackServices, c: CheckedCustomer, path: string): Promise<CustomerRow> {
  if (c.idNumber !== null) {
    const [same] = await tx.query<{ id: string; name: string }>(
      `select id, name from pack_billing.customers where tenant_id = $1 and id_type = $2 and id_number = $3`,
      [services.tenant.id, c.idType, c.idNumber],
    );
    if (same) throw conflict(l(`证件号已登记为用户 ${same.id}（${same.name}），请选择该用户`, `This identity number is registered to customer ${same.id} (${same.name}); choose that customer`), `${path}.idNumber`);
  }
  const [row] = await tx.query<CustomerRow>(
    `insert into pack_billing.customers as c (tenant_id, tenant_path, kind, name, id_type, id_number, id_masked, phone, created_by)
     values ($1, $2::ltree, $3, $4, $5, $6, $7, $8, $9::bigint) returning ${CUSTOMER_COLUMNS}`,
    [services.tenant.id, services.tenant.path, c.kind, c.name, c.idType, c.idNumber, c.idNumber === null ? null : maskIdNumber(c.idNumber), c.phone, services.user ? String(services.user.id) : null],
  );
  return row!;
}

/** The caller's customer by id, or 404 on `path`. */
export async function requireCustomer(tx: PackTx, tenantId: number, id: string, path: string): Promise<CustomerRow> {
  const [row] = await tx.query<CustomerRow>(`select ${CUSTOMER_COLUMNS} from pack_billing.customers c where c.id = $1::bigint and c.tenant_id = $2`, [id, tenantId]);
  if (!row) throw new PackError('not_found', l(`没有用户 ${id}`, `No customer ${id}`), path);
  return row;
}

export const customerRoutes = [
  defineRoute({
    method: 'get',
    path: '/customers',
    permission: PERMISSIONS.accountsRead,
    summary: 'Customers, newest first; q matches the name (contains), the phone (exact, or its last 4+ digits) or the whole identity number; identity numbers masked',
    query: z.object({ ...page, q: z.string().trim().max(100).optional() }),
    handler: async ({ query }, services) =>
      services.transaction(async (tx) => {
        const p = new Params();
        const where = [`c.tenant_id = ${p.add(services.tenant.id)}`];
        const q = query.q ?? '';
        if (q !== '') {
          // The name by substring (a scan of the tenant's customers); phones and identity numbers by index.
          const arms = [`position(lower(${p.add(q)}) in lower(c.name)) > 0`];
          const digits = phoneDigits(q);
          if (digits !== null) {
            const reversed = [...digits.replace(/^\+/, '')].reverse().join('');
            arms.push(`c.phone = ${p.add(digits)}`, `(c.phone_reversed ~>=~ ${p.add(reversed)} and c.phone_reversed ~<~ ${p.add(prefixEnd(reversed))})`);
          }
          if (/^[0-9A-Za-z -]{6,40}$/.test(q)) arms.push(`c.id_number = ${p.add(normalizeIdNumber(q))}`);
          where.push(`(${arms.join(' or ')})`);
        }
        const { rows, total } = await pageRows<CustomerRow>(tx, `select ${CUSTOMER_COLUMNS} from pack_billing.customers c where ${where.join(' and ')}`, 'id desc', p, query);
        return { items: rows.map(presentCustomer), total, page: query.page, pageSize: query.pageSize };
      }),
  }),
  defineRoute({
    method: 'post',
    path: '/customers',
    permission: PERMISSIONS.accountsWrite,
    status: 201,
    summary: 'Registers a customer (person or organisation); a resident id is checked (GB 11643) and stored with its masked form',
    body: customerInput,
    handler: async ({ body }, services) =>
      services.transaction(async (tx) => presentCustomer(await createCustomer(tx, services, checkCustomer(body, 'body'), 'body'))),
  }),
];
