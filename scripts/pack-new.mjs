#!/usr/bin/env node
/**
 * `npm run pack:new -- <name> [--zh <中文名>]` — scaffolds a domain pack in `domain-packs/<name>/`: its
 * package.json and tsconfig.json, a small working pack (`src/index.ts`: an entity, a task form, a process
 * with a user task and a service task served by the pack's worker, a migration, a route, a page in the
 * menu, a permission, a default role and a seed) and its test on the pack test kit. It adds the package
 * to the root tsconfig.json references so `tsc -b` builds it. Plain Node, no dependencies.
 *
 * The guide is PACKS.md at the repository root; `plugins/sdk/src/scaffold.test.ts` runs its quick start.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The SDK's rule for a pack id (`packId` in plugins/sdk/src/pack.ts). */
const PACK_ID = /^[a-z][a-z0-9-]{1,39}$/;

/**
 * Names a pack may not take: words the platform uses for itself (the SDK, the runtime, the `/api/ext`
 * prefix, the `admin` role, the `public` schema …) and folder names that mean something else in a package.
 */
const RESERVED = new Set([
  'sdk', 'runtime', 'platform', 'shuiyun', 'core', 'common', 'shared', 'api', 'ext', 'app', 'admin', 'system',
  'public', 'pack', 'packs', 'plugin', 'plugins', 'test', 'testing', 'node-modules', 'dist', 'src', 'template',
]);

const usage = `usage: npm run pack:new -- <name> [--zh <中文名>]

  <name>  the pack id: lower-case letters, digits and -, 2 to 40, starting with a letter
          (water-quality, meter-repair); it names the folder domain-packs/<name>/ and the
          package @shuiyun/pack-<name>
  --zh    the pack's Chinese name (水质); the English one is made from <name>`;

function fail(message) {
  console.error(`pack:new: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const names = [];
  let zh;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    } else if (arg === '--zh') {
      zh = argv[++i];
      if (!zh?.trim()) fail('--zh needs the Chinese name after it');
    } else if (arg.startsWith('--zh=')) {
      zh = arg.slice('--zh='.length);
    } else if (arg.startsWith('-')) {
      fail(`unknown option ${arg}\n\n${usage}`);
    } else names.push(arg);
  }
  if (names.length !== 1) fail(`${names.length === 0 ? 'name the pack' : `one name only (got ${names.join(', ')})`}\n\n${usage}`);
  zh = zh?.trim();
  if (zh !== undefined && !/^[^\p{Cc}`\\/*]{1,60}$/u.test(zh)) fail('--zh: the Chinese name, at most 60 characters, without ` \\ / * or line breaks');
  return { name: names[0], zh };
}

/** Why `name` cannot be a new pack here, or null. */
function refusal(name) {
  if (!PACK_ID.test(name)) {
    return `"${name}" is not a pack id: lower-case letters, digits and -, 2 to 40 characters, starting with a letter (such as water-quality)`;
  }
  if (RESERVED.has(name)) return `"${name}" is reserved for the platform: choose a name that says what the pack does (such as water-quality)`;
  const folder = path.join(root, 'domain-packs', name);
  if (existsSync(folder)) return `domain-packs/${name} already exists: choose another name, or remove that folder first`;
  for (const entry of readdirSync(path.join(root, 'domain-packs'), { withFileTypes: true })) {
    const manifest = path.join(root, 'domain-packs', entry.name, 'package.json');
    if (entry.isDirectory() && existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === `@shuiyun/pack-${name}`) {
      return `domain-packs/${entry.name} is already the package @shuiyun/pack-${name}`;
    }
  }
  return null;
}

const readJson = (file) => JSON.parse(readFileSync(path.join(root, file), 'utf8'));

// ---------------------------------------------------------------------------------------------------
// The files of a new pack
// ---------------------------------------------------------------------------------------------------

function packageJson(n, sdk) {
  return `${JSON.stringify(
    {
      name: `@shuiyun/pack-${n.id}`,
      version: '0.1.0',
      private: true,
      type: 'module',
      description: `${n.zh}: a domain pack built on @shuiyun/sdk only`,
      exports: { '.': { 'shuiyun-source': './src/index.ts', types: './dist/index.d.ts', default: './dist/index.js' } },
      scripts: { build: 'tsc -b' },
      dependencies: { '@shuiyun/sdk': sdk.version, zod: sdk.dependencies.zod },
    },
    null,
    2,
  )}\n`;
}

const tsconfigJson = () => `{
  "extends": "../../tsconfig.base.json",
  "compilerOptions": { "rootDir": "src", "outDir": "dist", "types": ["node"] },
  "include": ["src"],
  "exclude": ["src/**/*.test.ts", "src/testing/**"],
  "references": [{ "path": "../../plugins/sdk" }]
}
`;

/** A single-quoted TypeScript string literal of `text`. */
const lit = (text) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function indexTs(n) {
  return `/**
 * @shuiyun/pack-${n.id} — ${n.zh === n.en ? n.en : `${n.zh} (${n.en})`}. Made by \`npm run pack:new\`: one of each thing a pack declares,
 * small enough to read in one go, and working — \`npx vitest run domain-packs/${n.id}\` installs it in a real
 * runtime. Grow it from here. The guide is PACKS.md at the repository root; domain-packs/metering is the
 * worked example of a full pack.
 *
 * The rule: a pack imports \`@shuiyun/sdk\` (and libraries such as zod), never the runtime or another
 * \`@shuiyun/*\` package. \`plugins/sdk/src/pack-boundaries.test.ts\` fails \`npm test\` when it does.
 */
import { definePack, defineRoute, defineWorker, PackError, servicesOf } from '@shuiyun/sdk';
import { z } from 'zod';

/** Every label is zh-CN and en. */
const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });

// Names. The pack id prefixes what is the pack's alone: permissions (\`${n.id}.entry:read\`), job types and
// events (\`${n.id}.record\`), default roles (\`clerk\` becomes the tenant role \`${n.id}-clerk\`). Artifact
// codes (entities, forms, processes, pages) share one namespace per tenant with everything else, so they
// start with the pack's name too, written with \`_\`. The pack's tables live in the schema \`${n.schema}\`.
export const PACK_ID = '${n.id}';
export const SITE = '${n.code}_site';
export const REVIEW_FORM = '${n.code}_review_form';
export const REVIEW_PROCESS = '${n.code}_review';
export const HOME_PAGE = '${n.code}_home';
export const READ_ENTRIES = '${n.id}.entry:read';
const RECORD_JOB = '${n.id}.record';

/**
 * 审核流程: a user task that shows the review form to the candidate groups (role codes: \`admin\` is the
 * tenant's administrators), then a service task the pack's worker serves (zeebe:taskDefinition type).
 * Draw bigger processes in the designer and paste the XML it exports.
 */
const reviewXml = \`<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="\${REVIEW_PROCESS}_definitions" targetNamespace="http://shuiyun.example/bpmn">
  <bpmn:process id="\${REVIEW_PROCESS}" name="审核" isExecutable="true">
    <bpmn:startEvent id="start" name="提交"><bpmn:outgoing>to_review</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="审核">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="\${REVIEW_FORM}" />
        <zeebe:assignmentDefinition candidateGroups="admin" />
      </bpmn:extensionElements>
      <bpmn:incoming>to_review</bpmn:incoming><bpmn:outgoing>to_record</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:serviceTask id="record" name="登记">
      <bpmn:extensionElements><zeebe:taskDefinition type="\${RECORD_JOB}" /></bpmn:extensionElements>
      <bpmn:incoming>to_record</bpmn:incoming><bpmn:outgoing>to_end</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end" name="完成"><bpmn:incoming>to_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="to_review" sourceRef="start" targetRef="review" />
    <bpmn:sequenceFlow id="to_record" sourceRef="review" targetRef="record" />
    <bpmn:sequenceFlow id="to_end" sourceRef="record" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>\`;

/** One entry as the routes answer it: bigint columns come back from Postgres as strings, and stay exact. */
interface EntryRow {
  id: string;
  title: string;
  comment: string;
  volume_l: string;
}
const entry = (r: EntryRow) => ({ id: r.id, title: r.title, comment: r.comment, volumeL: r.volume_l });

export const pack = definePack({
  id: PACK_ID,
  version: '0.1.0',
  // The platform versions the pack runs on (a semver range).
  platform: '^0.1.0',
  name: l(${lit(n.zh)}, ${lit(n.en)}),

  // 实体: the platform gives an entity its records API (/api/entities/${n.code}_site/records), list and
  // form blocks, validation, audit and tenant isolation; a consultant may add fields in the designer.
  entities: [
    {
      code: SITE,
      name: '站点',
      model: {
        label: l('站点', 'Site'),
        titleField: 'name',
        fields: [
          { name: 'siteNo', label: l('编号', 'Site no.'), type: 'string', required: true, unique: true, maxLength: 32 },
          { name: 'name', label: l('名称', 'Name'), type: 'string', required: true, maxLength: 100 },
        ],
      },
    },
  ],

  // 表单: a form-js schema; a user task shows it by its code (zeebe:formDefinition formId), and the
  // runtime checks what the task is completed with against it.
  forms: [
    {
      code: REVIEW_FORM,
      name: '审核单',
      schema: {
        type: 'default',
        schemaVersion: 16,
        components: [
          { id: 'Field_comment', key: 'comment', label: '审核意见', type: 'textfield', validate: { required: true, maxLength: 2000 } },
          { id: 'Field_volume', key: 'volumeL', label: '水量（升）', type: 'number', decimalDigits: 0, validate: { required: true, min: 0 } },
        ],
      },
    },
  ],

  processes: [{ code: REVIEW_PROCESS, name: '审核', xml: reviewXml }],

  // Tables of the pack's own, in its schema (${n.schema}). Each migration runs once per database (tenants
  // share the tables), in id order, at the first install and when a version with new ones is deployed.
  // Never edit a released migration: add the next one. Every table has tenant_id and tenant_path; the
  // runtime adds the row-level security policy, the tenant key and the grants.
  migrations: {
    postgres: [
      {
        id: '0001_entries',
        sql: \`
create table entries (
  id bigserial primary key,
  tenant_id bigint not null,
  tenant_path ltree not null,
  title text not null,
  comment text not null default '',
  volume_l bigint not null default 0 check (volume_l >= 0), -- integer litres, never a float
  job_key text not null, -- the job that recorded it: a retried job records once
  created_at timestamptz not null default now(), -- UTC; show it in the tenant's time zone
  unique (tenant_id, job_key)
);\`,
      },
    ],
  },

  // The pack's own permissions start with its id; the tenant's administrators get them at install.
  permissions: [{ name: READ_ENTRIES, label: l('查看记录', 'Read entries') }],
  // Default roles, created in the tenant as \`${n.id}-<code>\`: the pack's permissions and platform ones.
  roles: [{ code: 'clerk', name: l(${lit(n.zhClerk)}, ${lit(`${n.en} clerk`)}), permissions: ['page:read', 'entity:read', 'task:read', 'task:claim', 'task:complete', READ_ENTRIES] }],

  // Routes are served at /api/ext/${n.id}<path>, each behind one permission, in the caller's tenant
  // transaction: row-level security shows the handler the tenant's rows only. Name tables with their
  // schema (${n.schema}.entries).
  routes: [
    defineRoute({
      method: 'get',
      path: '/entries',
      permission: READ_ENTRIES,
      summary: 'The entries of the tenant, newest first',
      handler: async (_input, services) =>
        services.transaction(async (tx) => {
          const rows = await tx.query<EntryRow>(\`select id, title, comment, volume_l from ${n.schema}.entries order by id desc limit 100\`);
          // count(*) is a bigint, which would come back as a string: ::int when it fits.
          const [count] = await tx.query<{ total: number }>(\`select count(*)::int as total from ${n.schema}.entries\`);
          return { total: count!.total, items: rows.map(entry) };
        }),
    }),
    defineRoute({
      method: 'get',
      path: '/entries/:id',
      permission: READ_ENTRIES,
      summary: 'One entry',
      params: z.object({ id: z.string().regex(/^[1-9][0-9]{0,17}$/) }),
      handler: async ({ params }, services) =>
        services.transaction(async (tx) => {
          // Values go in as $1, $2 …, never pasted into the SQL.
          const [row] = await tx.query<EntryRow>(\`select id, title, comment, volume_l from ${n.schema}.entries where id = $1::bigint\`, [params.id]);
          // A refusal: the status follows the code (not_found → 404), the message the caller's language.
          if (!row) throw new PackError('not_found', l('没有这条记录', 'No such entry'), 'params.id');
          return entry(row);
        }),
    }),
  ],

  // Workers serve the service tasks of the job type; \`servicesOf(job)\` is the platform for the job's tenant.
  workers: [
    defineWorker({
      type: RECORD_JOB,
      title: l('登记审核结果', 'Record the review'),
      description: l('把审核过的记录写入本包的表', "Writes the reviewed entry into the pack's table"),
      // The instance's variables: \`title\` from the start, \`comment\` and \`volumeL\` from the review form.
      input: z.object({ title: z.string().min(1).max(200), comment: z.string().max(2000), volumeL: z.number().int().min(0) }),
      // What the handler returns becomes the instance's variables.
      output: z.object({ entryId: z.string() }),
      handler: async ({ title, comment, volumeL }, job) => {
        const services = servicesOf(job);
        const [row] = await services.transaction((tx) =>
          tx.query<{ id: string }>(
            \`insert into ${n.schema}.entries (tenant_id, tenant_path, title, comment, volume_l, job_key)
             values ($1, $2::ltree, $3, $4, $5, $6)
             on conflict (tenant_id, job_key) do update set title = excluded.title
             returning id\`,
            [services.tenant.id, services.tenant.path, title, comment, BigInt(volumeL), job.jobKey],
          ),
        );
        return { entryId: row!.id };
      },
    }),
  ],

  // Pages are HTML with blocks (data-sy-block) the app shell fills in; a menu entry puts one in the menu.
  pages: [
    {
      code: HOME_PAGE,
      name: ${lit(n.zh)},
      page: {
        kind: 'page',
        route: '${n.id}',
        title: l(${lit(n.zh)}, ${lit(n.en)}),
        menu: { show: true, order: 100 },
        html: [
          \`<div data-sy-block="process-start" data-sy-config='{"processId":"\${REVIEW_PROCESS}","label":"提交审核","variables":{"title":"待审核"}}'></div>\`,
          \`<div data-sy-block="task-list" data-sy-config='{"pageSize":10}'></div>\`,
          \`<div data-sy-block="table" data-sy-config='{"entity":"\${SITE}"}'></div>\`,
        ].join('\\n'),
        css: '',
      },
    },
  ],
  menu: [{ page: HOME_PAGE, label: l(${lit(n.zh)}, ${lit(n.en)}), order: 100 }],

  // What a tenant needs to start with: runs in the install's transaction at the pack's first install in a
  // tenant (not at upgrades, nor at a new install that finds the entity records an uninstall kept).
  seed: async (ctx) => {
    await ctx.createRecord(SITE, { siteNo: 'S-001', name: ctx.locale === 'en' ? 'Example site' : '示例站点' });
  },

  // Not used here (PACKS.md shows each): dependsOn, entityForms, datasets, reports, events (emits,
  // consumes, on), alarmRules, products, codecs, analytics migrations, demo.
});

export default pack;
`;
}

function testTs(n) {
  return `/**
 * The ${n.id} pack in a real runtime. \`startPackTestKit\` starts one in-process (PGlite, the embedded BPMN
 * engine) with two companies of the demo group, the pack installed in both, and drives it through the
 * HTTP API as the tenant's administrator (\`kit.tenant\`) or another user. Run:
 *   npx vitest run domain-packs/${n.id}
 */
import { startPackTestKit, type PackTestKit } from '@shuiyun/sdk/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pack, PACK_ID, REVIEW_FORM, REVIEW_PROCESS, SITE } from './index.js';

describe('the ${n.id} pack', () => {
  let kit: PackTestKit;
  beforeAll(async () => {
    kit = await startPackTestKit({ packs: [pack] });
  });
  afterAll(() => kit?.close());

  it('installs: the installation, the seeded site, the page in the menu', async () => {
    const packs = await kit.request('GET', '/api/packs');
    expect(packs.body.items.find((p: { id: string }) => p.id === PACK_ID).installation).toMatchObject({ version: '0.1.0', status: 'installed' });
    const sites = await kit.request('GET', \`/api/entities/\${SITE}/records\`);
    expect(sites.body.items.map((r: { data: { siteNo: string } }) => r.data.siteNo)).toEqual(['S-001']);
    const pages = await kit.request('GET', '/api/app/pages');
    expect(pages.body.items).toContainEqual(expect.objectContaining({ route: PACK_ID, menu: expect.objectContaining({ show: true }) }));
  });

  it('serves its routes: the list, a refusal in the caller language, none for the anonymous', async () => {
    const list = await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`);
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ total: 0, items: [] });
    const missing = await kit.request('GET', \`/api/ext/\${PACK_ID}/entries/999\`, { locale: 'zh-CN' });
    expect(missing.status).toBe(404);
    expect(missing.body.error.details[0]).toMatchObject({ path: 'params.id', message: '没有这条记录' });
    expect((await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`, { token: null })).status).toBe(401);
  });

  it('runs the review process: the user task shows the form, then the worker records the entry', async () => {
    const instanceId = await kit.startProcess(REVIEW_PROCESS, { title: '出厂水浊度' });
    const task = await kit.waitForTask({ instanceId, elementId: 'review' });
    expect((await kit.request('GET', \`/api/tasks/\${task.id}\`)).body.form).toMatchObject({ formId: REVIEW_FORM });
    await kit.completeTask(task.id, { comment: '合格', volumeL: 1250 });
    const variables = await kit.waitForInstance(instanceId);
    expect(variables.entryId).toEqual(expect.any(String));
    const list = await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`);
    expect(list.body).toEqual({ total: 1, items: [{ id: variables.entryId, title: '出厂水浊度', comment: '合格', volumeL: '1250' }] });
    const one = await kit.request('GET', \`/api/ext/\${PACK_ID}/entries/\${String(variables.entryId)}\`);
    expect(one.body).toMatchObject({ title: '出厂水浊度', volumeL: '1250' });
  });

  it('lets the default role read, and nobody without it', async () => {
    const clerk = await kit.createUser({ username: 'clerk@demo-county-a', roles: [\`\${PACK_ID}-clerk\`] });
    expect((await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`, { token: clerk })).body.total).toBe(1);
    const visitor = await kit.createUser({ username: 'visitor@demo-county-a', roles: [] });
    expect((await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`, { token: visitor })).status).toBe(403);
  });

  it('installs again after an uninstall that kept the data, the seed creating nothing twice', async () => {
    const uninstalled = await kit.request('POST', \`/api/packs/\${PACK_ID}/uninstall\`, { body: { data: 'keep' } });
    expect(uninstalled.status).toBe(200);
    // Gone from the tenant: its permission too (403), and the route (404).
    expect([403, 404]).toContain((await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`)).status);
    await kit.install(PACK_ID);
    expect((await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`)).body.total).toBe(1);
    expect((await kit.request('GET', \`/api/entities/\${SITE}/records\`)).body.total).toBe(1);
  });

  it('shows the other tenant nothing of this one', async () => {
    const other = await kit.request('GET', \`/api/ext/\${PACK_ID}/entries\`, { token: kit.otherTenant.token });
    expect(other.body).toEqual({ total: 0, items: [] });
    // Not even when it asks for this tenant's rows by id: row-level security answers for the caller's tenant.
    const rows = await kit.services(PACK_ID, { tenant: 'other' }).transaction((tx) => tx.query('select id from ${n.schema}.entries where tenant_id = $1', [kit.tenant.id]));
    expect(rows).toEqual([]);
  });
});
`;
}

/** Adds `domain-packs/<id>` to the root tsconfig.json references (so `tsc -b` builds it); answers false when it cannot. */
function addReference(id) {
  const file = path.join(root, 'tsconfig.json');
  const text = readFileSync(file, 'utf8');
  const reference = `domain-packs/${id}`;
  try {
    const config = JSON.parse(text);
    config.references ??= [];
    if (!config.references.some((r) => r.path === reference)) config.references.push({ path: reference });
    writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
    return true;
  } catch {
    // Not plain JSON (comments): insert the entry after the opening of the list.
    const at = text.indexOf('"references"');
    const open = at < 0 ? -1 : text.indexOf('[', at);
    if (open < 0) return false;
    writeFileSync(file, `${text.slice(0, open + 1)}\n    { "path": "${reference}" },${text.slice(open + 1)}`);
    return true;
  }
}

function main() {
  const { name, zh } = parseArgs(process.argv.slice(2));
  const refused = refusal(name);
  if (refused) fail(refused);

  const words = name.split('-').filter(Boolean);
  const en = [words[0][0].toUpperCase() + words[0].slice(1), ...words.slice(1)].join(' ');
  const code = name.replace(/-/g, '_');
  const n = { id: name, code, schema: `pack_${code}`, en, zh: zh || en, zhClerk: zh ? `${zh}专员` : `${en} 专员` };
  const sdk = readJson('plugins/sdk/package.json');

  const folder = path.join(root, 'domain-packs', name);
  const files = {
    'package.json': packageJson(n, sdk),
    'tsconfig.json': tsconfigJson(),
    'src/index.ts': indexTs(n),
    [`src/${name}.test.ts`]: testTs(n),
  };
  try {
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(folder, file)), { recursive: true });
      writeFileSync(path.join(folder, file), text, { flag: 'wx' });
    }
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    fail(`could not write domain-packs/${name}: ${error.message}`);
  }
  const referenced = addReference(name);

  const rows = (pairs) => {
    const width = Math.max(...pairs.map(([left]) => left.length)) + 3;
    return pairs.map(([left, right]) => `  ${left.padEnd(width)}${right}`.trimEnd()).join('\n');
  };
  console.log(`Created domain-packs/${name} (@shuiyun/pack-${name}):
${rows([
  ['package.json, tsconfig.json', ''],
  ['src/index.ts', 'the pack: entity, form, process + worker, migration, routes, page, menu, role, seed'],
  [`src/${name}.test.ts`, 'its test on the pack test kit (@shuiyun/sdk/testing)'],
])}
${referenced ? 'and added it to the references of tsconfig.json (tsc -b builds it).' : `Add { "path": "domain-packs/${name}" } to the references of tsconfig.json yourself.`}

Next steps (PACKS.md walks through the rest):
${rows([
  ['npm install', 'link the new workspace package'],
  [`npx vitest run domain-packs/${name}`, 'run its test (PostgreSQL must be running, as for every test here)'],
  [`npx tsc -b domain-packs/${name}`, 'type-check and build it'],
])}`);
}

main();
