import { Progress, Tag } from 'antd';
import type { ReactNode } from 'react';
import { formatDateTime, formatDecimal } from '../format.js';
import { localized, type Locale, type useBlockText } from '../words.js';
import type { ExtColumn } from './config.js';
import { formatLitres, ratioToPercent } from './litres.js';
import { formatFen } from './money.js';

/** The blocks' `t`. */
export type Translate = ReturnType<typeof useBlockText>['t'];

const DONE = ['done', 'completed', 'settled', 'closed', 'valid', 'success', 'succeeded', 'active', 'online', 'approved', 'booked', 'issued', 'balanced', 'confirmed', 'paid'];
const FAILED = ['failed', 'error', 'invalid', 'rejected', 'canceled', 'cancelled', 'offline', 'voided', 'reversed', 'discrepant'];
const WAITING = ['pending', 'queued', 'review', 'waiting', 'draft', 'partial', 'unpaid', 'awaiting_approval'];

function statusColour(status: string, busy: boolean): string {
  if (busy) return 'processing';
  if (DONE.includes(status)) return 'success';
  if (FAILED.includes(status)) return 'error';
  if (WAITING.includes(status)) return 'warning';
  return 'default';
}

function dateText(value: string, locale: Locale): string {
  if (/^\d{4}-\d{2}(-\d{2})?$/.test(value)) return value;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleDateString(locale === 'en' ? 'en-GB' : 'zh-CN');
}

function plainText(value: unknown, t: Translate): string {
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** A row's value as its column's format shows it; volumes, money and ratios through string arithmetic only. */
export function cell(column: ExtColumn, value: unknown, ctx: { locale: Locale; t: Translate; busyStatuses: string[] }): ReactNode {
  if (value === undefined || value === null || value === '') return '—';
  const { locale, t } = ctx;
  switch (column.format) {
    case 'litres':
      return formatLitres(value) ?? plainText(value, t);
    case 'fen':
      return formatFen(value) ?? plainText(value, t);
    case 'm3': {
      const text = String(value);
      return /^-?\d+(\.\d+)?$/.test(text) ? `${formatDecimal(text)} m³` : text;
    }
    case 'datetime':
      return formatDateTime(String(value), locale);
    case 'date':
      return dateText(String(value), locale);
    case 'percent':
      return ratioToPercent(value) ?? plainText(value, t);
    case 'status': {
      const status = String(value);
      const own = column.labels?.[status];
      const label = own ? localized(own, locale) : t(`ext.status.${status}`, { defaultValue: status });
      return (
        <Tag color={statusColour(status, ctx.busyStatuses.includes(status))} data-status={status}>
          {label}
        </Tag>
      );
    }
    default:
      return plainText(value, t);
  }
}

const count = (value: unknown): number | null => {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : null;
};

/** Work done of a total (rows, meters: counts, not volumes) as a progress bar. */
export function ProgressCell({ done, total, busy }: { done: unknown; total: unknown; busy: boolean }) {
  const d = count(done);
  const n = count(total);
  if (d === null) return <>—</>;
  if (!n) return <>{d}</>;
  const percent = Math.min(100, Math.floor((d * 100) / n));
  return (
    <Progress
      percent={percent}
      size="small"
      status={busy ? 'active' : percent >= 100 ? 'success' : 'normal'}
      format={() => `${d}/${n}`}
      style={{ minWidth: 140, margin: 0 }}
      aria-label={`${d}/${n}`}
    />
  );
}
