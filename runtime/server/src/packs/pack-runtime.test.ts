import { definePack, defineRoute, defineWorker, type PackManifestInput, PackError, servicesOf } from '@shuiyun/sdk';
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';

const label = (zh: string, en: string) => ({ 'zh-CN': zh, en });

/** A small pack that uses every run-time port: its own table, a route, a worker, an event, a consumer and a seed. */
const tallyManifest = (version = '1.0.0'): PackManifestInput => ({
  id: 'tally',
  version,
  platform: '^0.1.0',
  name: label('计数', 'Tally'),
  migrations: {
    postgres: [
      { id: '0001_counts', sql: `create table counts (id bigserial primary key, tenant_id bigint not null, tenant_path ltree not null, name text not null, n bigint not null default 0, unique (tenant_id, name));` },
      ...(version === '1.1.0' ? [{ id: '0002_note', sql: `alter table counts add column note text; comment on column counts.note is 'a; note';` }] : []),
    ],
  },
  permissions: [{ name: 'tally.count:add', label: label('计数', 'Count') }],
  events: {
    emits: [{ name: 'tally.counted', payload: z.object({ name: z.string(), n: z.string() }) }],
    consumes: ['tally.counted'],
    on: {
      'tally.counted': async (payload, services) => {
        const { name } = payload as { name: string };
        await services.transaction((tx) => tx.query(`insert into pack_tally.counts (tenant_id, tenant_path, name, n) values ($1, $2::ltree, $3, 1) on conflict (tenant_id, name) do update set n = counts.n + 1`, [services.tenant.id, services.tenant.path, `heard:${name}`]));
      },
    },
  },
  routes: [
    defineRoute({
      method: 'post',
      path: '/counts/:name',
      permission: 'tally.count:add',
      summary: 'Count one',
      params: z.object({ name: z.string().regex(/^[a-z]+$/) }),
      handler: async ({ params }, services) =>
        services.transaction(async (tx) => {
          if (params.name === 'forbidden') throw new PackError('conflict', label('不能计数', 'Cannot count that'), 'params.name');
          const [row] = await tx.query<{ n: string }>(
            `insert into pack_tally.counts (tenant_id, tenant_path, name, n) values ($1, $2::ltree, $3, 1) on conflict (tenant_id, name) do update set n = counts.n + 1 returning n`,
            [services.tenant.id, services.tenant.path, params.name],
          );
          await tx.emit('tally.counted', { name: params.name, n: row!.n });
          return { name: params.name, n: BigInt(row!.n).toString() };
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/counts',
      permission: 'entity:read',
      summary: 'All counts of the tenant',
      handler: async (_input, services) => services.transaction((tx) => tx.query(`select name, n from pack_tally.counts order by name`)),
    }),
  ],
  workers: [
    defineWorker({
      type: 'tally.count',
      input: z.object({ name: z.string() }),
      output: z.object({ n: z.string() }),
      handler: async ({ name }, job) => {
        const services = servicesOf(job);
        const [row] = await services.transaction((tx) =>
          tx.query<{ n: string }>(`insert into pack_tally.counts (tenant_id, tenant_path, name, n) values ($1, $2::ltree, $3, 1) on conflict (tenant_id, name) do update set n = counts.n + 1 returning n`, [services.tenant.id, services.tenant.path, name]),
        );
        return { n: row!.n };
      },
    }),
  ],
  processes: [
    {
      code: 'tally_process',
      name: '计数流程',
      xml: `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="tally_process" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>a</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="count"><bpmn:extensionElements><zeebe:taskDefinition type="tally.count" /></bpmn:extensionElements><bpmn:incoming>a</bpmn:incoming><bpmn:outgoing>b</bpmn:outgoing></bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:incoming>b</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="a" sourceRef="s" targetRef="count" /><bpmn:sequenceFlow id="b" sourceRef="count" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>`,
    },
  ],
  seed: async (ctx) => {
    await ctx.transaction((tx) => tx.query(`insert into pack_tally.counts (tenant_id, tenant_path, name, n) values ($1, $2::ltree, 'seeded', 7)`, [ctx.tenant.id, ctx.tenant.path]));
  },
});

describe('a pack at run time: migrations, routes, workers, events and seed through the test kit', () => {
  let kit: PackTestKit;
  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [definePack(tallyManifest())] });
  });
  afterAll(() => kit?.close());

  it('creates the pack table once, secured by the tenant policy, and seeds each tenant', async () => {
    const a = await kit.request('GET', '/api/ext/tally/counts');
    expect(a.status).toBe(200);
    expect(a.body).toEqual([{ name: 'seeded', n: '7' }]);
    const b = await kit.request('GET', '/api/ext/tally/counts', { token: kit.otherTenant.token });
    expect(b.body).toEqual([{ name: 'seeded', n: '7' }]);
    // The application role cannot read another tenant's rows even when it asks for them by tenant.
    const rows = await kit.services('tally').transaction((tx) => tx.query(`select tenant_id from pack_tally.counts where tenant_id = $1`, [kit.otherTenant.id]));
    expect(rows).toEqual([]);
    // Arrays bind as one Postgres array each, exact past 2^53, quotes and backslashes intact.
    const [arrays] = await kit.services('tally').transaction((tx) =>
      tx.query<{ total: string; names: string[] }>(`select (select sum(x) from unnest($1::bigint[]) as x) as total, array(select y from unnest($2::text[]) as y order by y) as names`, [
        [9_007_199_254_740_993n, 1n],
        ['a "quoted" name', 'back\\slash', '水表'],
      ]),
    );
    expect(arrays).toEqual({ total: '9007199254740994', names: ['a "quoted" name', 'back\\slash', '水表'] });
  });

  it('serves routes in the caller tenant, with permissions, refusals in the caller language, and events delivered once', async () => {
    const counted = await kit.request('POST', '/api/ext/tally/counts/water');
    expect(counted.status).toBe(200);
    expect(counted.body).toEqual({ name: 'water', n: '1' });
    const refused = await kit.request('POST', '/api/ext/tally/counts/forbidden', { locale: 'zh-CN' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0]).toMatchObject({ path: 'params.name', message: '不能计数' });
    const bad = await kit.request('POST', '/api/ext/tally/counts/Water1');
    expect(bad.status).toBe(400);
    const anonymous = await kit.request('POST', '/api/ext/tally/counts/water', { token: null });
    expect(anonymous.status).toBe(401);
    const heard = await kit.until(async () => {
      const list = await kit.request('GET', '/api/ext/tally/counts');
      return (list.body as { name: string; n: string }[]).find((r) => r.name === 'heard:water');
    });
    expect(heard.n).toBe('1');
    // The other tenant saw nothing of it.
    const other = await kit.request('GET', '/api/ext/tally/counts', { token: kit.otherTenant.token });
    expect(other.body).toEqual([{ name: 'seeded', n: '7' }]);
  });

  it('runs pack workers with the services of the job tenant', async () => {
    const id = await kit.startProcess('tally_process', { name: 'worker' });
    const variables = await kit.waitForInstance(id);
    expect(variables.n).toBe('1');
  });

  it('runs a new migration when a newer version is deployed, and answers 404 or 409 where the pack is missing or disabled', async () => {
    const upgraded = await kit.upgrade(definePack(tallyManifest('1.1.0')));
    expect(upgraded.body.migrations).toEqual([]); // already applied at deploy: the tenant had the pack installed
    const columns = await kit.services('tally').transaction((tx) => tx.query(`select column_name from information_schema.columns where table_schema = 'pack_tally' and table_name = 'counts' and column_name = 'note'`));
    expect(columns).toEqual([{ column_name: 'note' }]);
    const disabled = await kit.request('POST', '/api/packs/tally/disable', { body: {} });
    expect(disabled.status).toBe(200);
    const refused = await kit.request('GET', '/api/ext/tally/counts', { locale: 'en' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details[0].message).toBe('The pack tally is disabled in this tenant');
    await kit.request('POST', '/api/packs/tally/uninstall', { token: kit.otherTenant.token, body: { data: 'delete' } });
    const gone = await kit.request('GET', '/api/ext/tally/counts', { token: kit.otherTenant.token });
    expect(gone.status).toBe(404);
  });
});
