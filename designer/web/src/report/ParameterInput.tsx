import { useTranslation } from '@shuiyun/web-kit';
import { DatePicker, Input, InputNumber, Select, Space } from 'antd';
import dayjs from 'dayjs';
import { localized } from '../common/format.js';
import { DATE_PRESETS, type DatasetParameter } from './types.js';

const CUSTOM = '__custom';

/** One dataset parameter's value: a date range (preset or from–to), options, a number, text or ids. */
export function ParameterInput({ parameter, value, onChange, testId }: { parameter: DatasetParameter; value: unknown; onChange(value: unknown): void; testId?: string }) {
  const { t, i18n } = useTranslation();
  const clear = (v: unknown) => onChange(v === '' || v === null || (Array.isArray(v) && v.length === 0) ? undefined : v);
  switch (parameter.type) {
    case 'dateRange': {
      const range = value && typeof value === 'object' && !Array.isArray(value) ? (value as { from?: string; to?: string }) : null;
      const preset = typeof value === 'string' ? value : range ? CUSTOM : undefined;
      return (
        <Space.Compact style={{ width: '100%' }} data-testid={testId}>
          <Select
            allowClear
            style={{ width: 140 }}
            value={preset}
            placeholder={t('report.param.choose')}
            options={[...DATE_PRESETS.map((p) => ({ value: p, label: t(`report.presets.${p}`) })), { value: CUSTOM, label: t('report.presets.custom') }]}
            onChange={(next?: string) => (next === CUSTOM ? onChange({ from: dayjs().subtract(6, 'day').format('YYYY-MM-DD'), to: dayjs().format('YYYY-MM-DD') }) : clear(next))}
          />
          {range && (
            <DatePicker.RangePicker
              value={[range.from ? dayjs(range.from) : null, range.to ? dayjs(range.to) : null]}
              onChange={(_dates, [from, to]) => (from && to ? onChange({ from, to }) : onChange(undefined))}
            />
          )}
        </Space.Compact>
      );
    }
    case 'enum':
      return (
        <Select
          allowClear
          mode={parameter.multiple ? 'multiple' : undefined}
          style={{ width: '100%' }}
          value={value as string | string[] | undefined}
          options={(parameter.options ?? []).map((o) => ({ value: o.value, label: localized(o.label, i18n.language) }))}
          onChange={clear}
          data-testid={testId}
        />
      );
    case 'number':
      return <InputNumber style={{ width: '100%' }} value={typeof value === 'number' ? value : null} onChange={clear} data-testid={testId} />;
    case 'text':
      return <Input value={typeof value === 'string' ? value : ''} onChange={(e) => clear(e.target.value)} data-testid={testId} />;
    default:
      // Ids of communities, products, DMAs or a subsidiary tenant.
      return parameter.multiple ? (
        <Select mode="tags" style={{ width: '100%' }} value={Array.isArray(value) ? value.map(String) : []} onChange={clear} placeholder={t('report.param.ids')} data-testid={testId} />
      ) : (
        <Input value={value === undefined || value === null ? '' : String(value)} onChange={(e) => clear(e.target.value.trim())} placeholder={t('report.param.id')} data-testid={testId} />
      );
  }
}
