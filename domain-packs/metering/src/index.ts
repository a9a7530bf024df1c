/**
 * @shuiyun/pack-metering — 计量集抄: the meter archive, readings (remote freezes, hand readings, concentrator
 * imports, reading books), validation with a review process, and monthly settlement into exact integer
 * litres, with its reports, pages and menu. Built on `@shuiyun/sdk` only; the worked example of PACKS.md.
 */
import { definePack, type PackManifestInput } from '@shuiyun/sdk';
import { entities } from './archive/entities.js';
import { postgresMigrations } from './migrations/index.js';
import { readingsPart } from './readings/index.js';
import { settlementPart } from './settlement/index.js';
import { presentation } from './presentation.js';
import { seed } from './seed.js';
import { demo } from './demo.js';

const l = (zh: string, en: string) => ({ 'zh-CN': zh, en });
const parts = [readingsPart, settlementPart];

export const meteringManifest: PackManifestInput = {
  id: 'metering',
  version: '1.0.0',
  platform: '^0.1.0',
  name: l('计量集抄', 'Metering and settlement'),
  description: l('水表档案、抄表、审核与月度结算', 'Meter archive, readings, review and monthly settlement'),
  entities,
  migrations: { postgres: postgresMigrations, analytics: [] },
  routes: parts.flatMap((p) => p.routes ?? []),
  workers: parts.flatMap((p) => p.workers ?? []),
  processes: parts.flatMap((p) => p.processes ?? []),
  forms: parts.flatMap((p) => p.forms ?? []),
  permissions: parts.flatMap((p) => p.permissions ?? []),
  events: {
    emits: parts.flatMap((p) => p.events?.emits ?? []),
    consumes: parts.flatMap((p) => p.events?.consumes ?? []),
  },
  ...presentation,
  seed,
  demo,
};

/** The metering pack, checked. */
export const metering = definePack(meteringManifest);
export default metering;
export * from './domain/index.js';
