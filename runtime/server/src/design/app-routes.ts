import { designArtifacts, designArtifactVersions, type Tx } from '@shuiyun/db';
import { AppError } from '@shuiyun/http';
import { and, asc, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { route } from '../http/route.js';
import type { PageContent } from './content.js';
import { designMessage } from './messages.js';
import { activeVersion } from './publishers.js';

const tags = ['App shell 应用'];

async function publishedPages(tx: Tx, tenantId: number, pageRoute?: string) {
  return tx
    .select({ id: designArtifacts.id, code: designArtifacts.code, version: designArtifactVersions.version, content: designArtifactVersions.content })
    .from(designArtifacts)
    .innerJoin(designArtifactVersions, activeVersion)
    .where(
      and(
        eq(designArtifacts.tenantId, tenantId),
        eq(designArtifacts.kind, 'page'),
        pageRoute === undefined ? undefined : sql`${designArtifactVersions.content}->>'route' = ${pageRoute}`,
        // A disabled pack's pages leave the app until it is enabled again.
        sql`not exists (select 1 from pack_installations p where p.tenant_id = ${designArtifacts.tenantId}
          and p.pack_id = ${designArtifacts.packId} and p.status = 'disabled')`,
      ),
    )
    .orderBy(asc(designArtifacts.code));
}

function present(row: { id: number; code: string; version: number; content: Record<string, unknown> }, withBody: boolean) {
  const page = row.content as unknown as PageContent;
  return {
    id: row.id,
    code: row.code,
    version: row.version,
    kind: page.kind,
    route: page.route,
    title: page.title,
    menu: page.menu,
    ...(withBody ? { html: page.html, css: page.css } : {}),
  };
}

/** What the app shell renders: the published pages and dashboards of the user's tenant, as its menu and its screens. */
export function appRoutes() {
  return [
    route({
      method: 'get',
      path: '/api/app/pages',
      permission: 'page:read',
      summary: 'The published pages and dashboards of the caller’s tenant, in menu order',
      tags,
      handler: (_input, ctx) =>
        ctx.tx(async (tx) => {
          const rows = (await publishedPages(tx, ctx.principal().tenantId)).map((row) => present(row, false));
          rows.sort((a, b) => a.menu.order - b.menu.order || a.code.localeCompare(b.code));
          return { items: rows };
        }),
    }),
    route({
      method: 'get',
      path: '/api/app/pages/:route',
      permission: 'page:read',
      summary: 'One published page with its HTML and CSS (blocks are placeholders the app shell fills with live data)',
      tags,
      params: z.object({ route: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/) }),
      handler: ({ params }, ctx) =>
        ctx.tx(async (tx) => {
          const [row] = await publishedPages(tx, ctx.principal().tenantId, params.route);
          if (!row) throw new AppError('not_found', { details: [{ path: 'params.route', message: designMessage('page_unknown', ctx.locale, { route: params.route }) }] });
          return present(row, true);
        }),
    }),
  ];
}
