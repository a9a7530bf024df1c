/**
 * The ledger's identity, against the database: random sequences of charges (credit applied at issue, as
 * the billing run does), payments, reversals, refunds and waivers on one account, each through the real
 * functions of this part in a transaction of its own. After every step:
 *   outstanding − credit = charges − waived − net payments + refunds  (the right side kept by the test),
 *   Σ allocations per charge = charges.paid_fen,
 *   credit ≥ 0, and an account never both owes and holds credit.
 */
import fc from 'fast-check';
import metering from '@shuiyun/pack-metering';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import billing from '../index.js';
import { financePeriodFor } from '../finance/periods.js';
import { bookPayment } from './book.js';
import { accountBalance, applyCredit, lockAccount } from './ledger.js';
import { applyRefund } from './refund.js';
import { applyReversal } from './reversal.js';
import { addCharge, chargeStates, makeAccounts, requestKey } from './testing/money.js';

type Step =
  | { op: 'charge'; amount: number; day: number }
  | { op: 'pay'; amount: number }
  | { op: 'reverse'; pick: number }
  | { op: 'refund'; share: number }
  | { op: 'waive'; pick: number; share: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('charge' as const), amount: fc.integer({ min: 1, max: 5_000 }), day: fc.integer({ min: 1, max: 28 }) }),
  fc.record({ op: fc.constant('pay' as const), amount: fc.integer({ min: 1, max: 6_000 }) }),
  fc.record({ op: fc.constant('reverse' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('refund' as const), share: fc.integer({ min: 1, max: 100 }) }),
  fc.record({ op: fc.constant('waive' as const), pick: fc.nat(), share: fc.integer({ min: 1, max: 100 }) }),
);

describe('the ledger identity (fast-check, on the database)', () => {
  let kit: PackTestKit;

  beforeAll(async () => {
    // PGlite by default; SHUIYUN_BILLING_TEST_DRIVER=postgres runs the same on the PostgreSQL server (real concurrency).
    kit = await startPackTestKit({ packs: [metering, billing], driver: process.env.SHUIYUN_BILLING_TEST_DRIVER === 'postgres' ? 'postgres' : 'pglite' });
  }, 300_000);
  afterAll(() => kit?.close());

  it('holds after every step of random sequences', async () => {
    const services = kit.services('billing');
    const tenant = services.tenant;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 3, maxLength: 12 }), async (steps) => {
        const [account] = await makeAccounts(kit, 1);
        const id = account!.id;
        const model = { charges: 0n, waived: 0n, payments: 0n, refunds: 0n };
        const paid: { id: string; amount: bigint; reversed: boolean }[] = [];
        for (const s of steps) {
          if (s.op === 'charge') {
            const amount = BigInt(s.amount);
            await addCharge(kit, id, amount, `2026-01-${String(s.day).padStart(2, '0')}`);
            model.charges += amount;
            await services.transaction(async (tx) => {
              await lockAccount(tx, id);
              await applyCredit(tx, tenant, id, await financePeriodFor(tx, tenant, new Date()));
            });
          } else if (s.op === 'pay') {
            const amount = BigInt(s.amount);
            const outcome = await services.transaction((tx) => bookPayment(tx, tenant, { accountId: id, channel: 'cash', amountFen: amount, externalRef: `counter:${requestKey()}`, cashierId: null }));
            if (outcome.kind !== 'booked') throw new Error(`payment not booked: ${outcome.kind}`);
            paid.push({ id: outcome.payment.id, amount, reversed: false });
            model.payments += amount;
          } else if (s.op === 'reverse') {
            const open = paid.filter((p) => !p.reversed);
            if (open.length === 0) continue;
            const target = open[s.pick % open.length]!;
            const result = await services.transaction(async (tx) => {
              const [row] = await tx.query<{ id: string }>(
                `insert into pack_billing.reversals (tenant_id, tenant_path, payment_id, reason, amount_fen) values ($1, $2::ltree, $3::bigint, 'property', $4::bigint) returning id::text`,
                [tenant.id, tenant.path, target.id, target.amount.toString()],
              );
              return applyReversal(tx, services, { reversalId: row!.id, decision: 'approve' });
            });
            if (result.reversalStatus === 'approved') {
              target.reversed = true;
              model.payments -= target.amount;
            } else {
              // only refused when its credit was refunded
              expect(result.reversalStatus).toBe('failed');
            }
          } else if (s.op === 'refund') {
            const credit = (await services.transaction((tx) => accountBalance(tx, id))).creditFen;
            if (credit <= 0n) continue;
            const amount = (credit * BigInt(s.share) + 99n) / 100n;
            const result = await services.transaction(async (tx) => {
              const [row] = await tx.query<{ id: string }>(
                `insert into pack_billing.refunds (tenant_id, tenant_path, account_id, amount_fen, method, reason) values ($1, $2::ltree, $3::bigint, $4::bigint, 'cash', 'property') returning id::text`,
                [tenant.id, tenant.path, id, amount.toString()],
              );
              return applyRefund(tx, services, { refundId: row!.id, decision: 'approve' });
            });
            expect(result.refundStatus).toBe('approved');
            model.refunds += amount;
          } else {
            // a late-fee waiver as the arrears part books one: waived_fen grows within what is outstanding
            const open = (await chargeStates(kit, id)).filter((c) => c.amountFen - c.paidFen - c.waivedFen > 0n);
            if (open.length === 0) continue;
            const c = open[s.pick % open.length]!;
            const amount = ((c.amountFen - c.paidFen - c.waivedFen) * BigInt(s.share) + 99n) / 100n;
            await services.transaction(async (tx) => {
              await lockAccount(tx, id);
              await tx.query(`update pack_billing.charges set waived_fen = waived_fen + $2::bigint where id = $1::bigint`, [c.id, amount.toString()]);
            });
            model.waived += amount;
          }

          const b = await services.transaction((tx) => accountBalance(tx, id));
          expect(b.outstandingFen - b.creditFen).toBe(model.charges - model.waived - model.payments + model.refunds);
          expect(b.chargesFen).toBe(model.charges);
          expect(b.waivedFen).toBe(model.waived);
          expect(b.paymentsFen).toBe(model.payments);
          expect(b.refundsFen).toBe(model.refunds);
          expect(b.creditFen >= 0n).toBe(true);
          expect(b.outstandingFen === 0n || b.creditFen === 0n).toBe(true);
          for (const c of await chargeStates(kit, id)) {
            expect(c.allocatedFen).toBe(c.paidFen);
            expect(c.paidFen + c.waivedFen <= c.amountFen).toBe(true);
          }
        }
      }),
      { numRuns: 15 },
    );
  }, 300_000);
});
