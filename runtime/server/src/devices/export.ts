import { once } from 'node:events';
import { buildings, communities, devices, products } from '@shuiyun/db';
import { stringify } from 'csv-stringify/sync';
import { and, eq, gt, type SQL } from 'drizzle-orm';
import ExcelJS from 'exceljs';
import type { Response } from 'express';
import type { RequestContext } from '../http/context.js';
import { ledgerColumns } from './columns.js';
import { type LedgerFormat, mediaTypes } from './ledger-file.js';
import { stateLabels } from './lifecycle.js';

/** Devices per database round trip; each page is its own short transaction, so the export never holds one open. */
const PAGE = 1_000;

interface LedgerSink {
  rows(values: string[][]): void;
  end(): Promise<void>;
}

/** UTF-8 with a byte-order mark: without it, Excel on Chinese Windows reads the file as GBK and garbles it. */
function csvSink(res: Response): LedgerSink {
  res.write('\uFEFF' + stringify([ledgerColumns.map((c) => c.header)]));
  return {
    rows: (values) => void res.write(stringify(values)),
    end: async () => void res.end(),
  };
}

/** Rows are committed as they come, so the workbook is zipped into the response, not built in memory. */
function xlsxSink(res: Response): LedgerSink {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: res, useStyles: false, useSharedStrings: false });
  const sheet = workbook.addWorksheet('设备台账');
  sheet.columns = ledgerColumns.map((c) => ({ header: c.header, key: c.key, width: c.key === 'deviceKey' ? 20 : 14 }));
  return {
    // Every value is written as text: a 14-digit address or a meter number with leading zeros stays as typed.
    rows: (values) => values.forEach((v) => sheet.addRow(v).commit()),
    end: async () => {
      sheet.commit();
      await workbook.commit();
    },
  };
}

/** Waits while the client is slower than the database, so a large export does not pile up in memory. */
async function drained(res: Response): Promise<void> {
  if (res.destroyed) throw new Error('client went away');
  if (res.writableNeedDrain) await Promise.race([once(res, 'drain'), once(res, 'close')]);
  if (res.destroyed) throw new Error('client went away');
}

/**
 * Streams the devices matching `where` as the ledger file that import reads, paging through the table in
 * id order (keyset pagination: each page starts after the last id of the one before).
 */
export async function streamLedger(ctx: RequestContext, res: Response, format: LedgerFormat, where: SQL | undefined): Promise<void> {
  const stamp = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  res.status(200);
  res.setHeader('content-type', format === 'csv' ? `${mediaTypes.csv}; charset=utf-8` : mediaTypes.xlsx);
  res.setHeader(
    'content-disposition',
    `attachment; filename="devices-${stamp}.${format}"; filename*=UTF-8''${encodeURIComponent(`设备台账-${stamp}.${format}`)}`,
  );
  try {
    const sink = format === 'csv' ? csvSink(res) : xlsxSink(res);
    let after = 0;
    for (;;) {
      const page = await ctx.tx((tx) =>
        tx
          .select({
            id: devices.id,
            meterNumber: devices.meterNumber,
            deviceKey: devices.deviceKey,
            product: products.code,
            community: communities.code,
            building: buildings.code,
            accountRef: devices.accountRef,
            dmaCode: devices.dmaCode,
            installDate: devices.installDate,
            latitude: devices.latitude,
            longitude: devices.longitude,
            state: devices.state,
            connection: devices.connection,
          })
          .from(devices)
          .innerJoin(products, eq(products.id, devices.productId))
          .leftJoin(communities, eq(communities.id, devices.communityId))
          .leftJoin(buildings, eq(buildings.id, devices.buildingId))
          .where(and(where, gt(devices.id, after)))
          .orderBy(devices.id)
          .limit(PAGE),
      );
      sink.rows(
        page.map((d) =>
          ledgerColumns.map((c) => {
            switch (c.key) {
              case 'state':
                return stateLabels[d.state]['zh-CN'];
              case 'modbusHost':
                return d.connection?.host ?? '';
              case 'modbusPort':
                return d.connection ? String(d.connection.port) : '';
              case 'modbusUnit':
                return d.connection ? String(d.connection.unitId) : '';
              case 'pollInterval':
                return d.connection ? String(d.connection.intervalSeconds) : '';
              default:
                return d[c.key] ?? '';
            }
          }),
        ),
      );
      if (page.length < PAGE) break;
      after = page[page.length - 1]!.id;
      await drained(res);
    }
    await sink.end();
  } catch (error) {
    // The status line is gone: the only honest signal left is a broken download.
    res.destroy(error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}
