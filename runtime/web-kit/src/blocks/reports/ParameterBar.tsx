import { Button, DatePicker, Form, Input, Select, Space } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { type ReactNode, useEffect, useState } from 'react';
import { api } from '../../api.js';
import type { Page } from '../../artifacts.js';
import { localized, useBlockText } from '../words.js';
import type { ParameterField } from './report-api.js';

const PRESETS = ['today', 'yesterday', 'last7Days', 'last30Days', 'thisWeek', 'thisMonth', 'lastMonth', 'thisYear'] as const;

type DateRangeValue = string | { from?: string; to?: string; preset?: string } | null | undefined;

/** A date range as the engine takes it: a preset name, or `{from, to}` calendar days. */
function DateRangeInput({ value, onChange, id }: { value?: DateRangeValue; onChange?: (value: DateRangeValue) => void; id?: string }) {
  const { t } = useBlockText();
  const preset = typeof value === 'string' ? value : value && typeof value === 'object' && value.preset ? value.preset : value && typeof value === 'object' ? 'custom' : undefined;
  const range = value && typeof value === 'object' && value.from && value.to ? ([dayjs(value.from), dayjs(value.to)] as [Dayjs, Dayjs]) : null;
  return (
    <Space.Compact>
      <Select
        id={id}
        style={{ minWidth: 120 }}
        value={preset}
        allowClear
        onChange={(next: string | undefined) => onChange?.(next === 'custom' ? { from: dayjs().format('YYYY-MM-DD'), to: dayjs().format('YYYY-MM-DD') } : next)}
        options={[...PRESETS.map((p) => ({ value: p, label: t(`report.presets.${p}`) })), { value: 'custom', label: t('report.custom') }]}
      />
      {preset === 'custom' && (
        <DatePicker.RangePicker
          style={{ width: 250 }}
          value={range}
          allowClear={false}
          onChange={(dates) => {
            if (dates?.[0] && dates[1]) onChange?.({ from: dates[0].format('YYYY-MM-DD'), to: dates[1].format('YYYY-MM-DD') });
          }}
        />
      )}
    </Space.Compact>
  );
}

interface Option {
  value: string | number;
  label: string;
}

const optionSources: Record<string, { path: string; option: (item: Record<string, unknown>) => Option }> = {
  community: { path: '/api/communities', option: (c) => ({ value: c.id as number, label: String(c.name ?? c.code ?? c.id) }) },
  product: { path: '/api/products', option: (p) => ({ value: p.id as number, label: String(p.name ?? p.code ?? p.id) }) },
  tenantSubtree: { path: '/api/tenants', option: (t) => ({ value: String(t.path), label: String(t.name ?? t.code ?? t.path) }) },
};

/** Choices read from the API (communities, products, tenants); free input when they cannot be read. */
function RemoteSelect({ type, multiple, value, onChange, id }: { type: string; multiple: boolean; value?: unknown; onChange?: (value: unknown) => void; id?: string }) {
  const [options, setOptions] = useState<Option[] | null>(null);
  const [failed, setFailed] = useState(false);
  const source = optionSources[type];
  useEffect(() => {
    if (!source) return;
    const controller = new AbortController();
    api
      .get<Page<Record<string, unknown>>>(source.path, { pageSize: 200 }, controller.signal)
      .then((page) => setOptions(page.items.map(source.option)))
      .catch(() => {
        if (!controller.signal.aborted) setFailed(true);
      });
    return () => controller.abort();
  }, [source]);
  if (!source || failed) {
    return multiple ? (
      <Select id={id} mode="tags" style={{ minWidth: 160 }} value={value as string[] | undefined} onChange={onChange} />
    ) : (
      <Input id={id} value={value as string | undefined} onChange={(e) => onChange?.(e.target.value)} style={{ width: 160 }} />
    );
  }
  return (
    <Select
      id={id}
      style={{ minWidth: 160 }}
      loading={options === null}
      mode={multiple ? 'multiple' : undefined}
      allowClear
      showSearch
      optionFilterProp="label"
      value={value as string | undefined}
      onChange={onChange}
      options={options ?? []}
    />
  );
}

function ParameterInput({ field, ...rest }: { field: ParameterField; value?: unknown; onChange?: (value: unknown) => void; id?: string }) {
  const { locale } = useBlockText();
  switch (field.type) {
    case 'dateRange':
      return <DateRangeInput {...(rest as { value?: DateRangeValue; onChange?: (v: DateRangeValue) => void; id?: string })} />;
    case 'enum':
      return (
        <Select
          id={rest.id}
          style={{ minWidth: 140 }}
          allowClear
          mode={field.multiple ? 'multiple' : undefined}
          value={rest.value as string | undefined}
          onChange={rest.onChange}
          options={(field.options ?? []).map((o) => ({ value: o.value, label: localized(o.label, locale) }))}
        />
      );
    case 'community':
    case 'product':
    case 'tenantSubtree':
      return <RemoteSelect type={field.type} multiple={field.multiple} {...rest} />;
    case 'dma':
      return field.multiple ? (
        <Select id={rest.id} mode="tags" style={{ minWidth: 160 }} value={rest.value as string[] | undefined} onChange={rest.onChange} />
      ) : (
        <Input id={rest.id} style={{ width: 140 }} value={rest.value as string | undefined} onChange={(e) => rest.onChange?.(e.target.value)} />
      );
    case 'number':
      return <Input id={rest.id} style={{ width: 120 }} inputMode="decimal" value={rest.value as string | undefined} onChange={(e) => rest.onChange?.(e.target.value.trim())} />;
    default:
      return <Input id={rest.id} style={{ width: 160 }} value={rest.value as string | undefined} onChange={(e) => rest.onChange?.(e.target.value)} />;
  }
}

/** Drops what the user left empty, so the template's defaults apply. */
export function cleanParameters(values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    out[key] = value;
  }
  return out;
}

/** The viewer's parameter bar: one input per declared parameter (date range, enum, community, …), run and reset. */
export function ParameterBar({
  fields,
  values,
  onRun,
  busy,
  extra,
}: {
  fields: ParameterField[];
  values: Record<string, unknown>;
  onRun: (values: Record<string, unknown>) => void;
  busy: boolean;
  extra?: ReactNode;
}) {
  const { t, locale } = useBlockText();
  const [form] = Form.useForm();
  const key = JSON.stringify(values);
  // Only when the run's values change: the user's edits stay until then.
  useEffect(() => {
    form.setFieldsValue(values);
  }, [key, form]);

  return (
    <Form form={form} layout="inline" className="sy-report__parameters" onFinish={(v: Record<string, unknown>) => onRun(cleanParameters(v))} initialValues={values}>
      {fields.map((field) => {
        const name = localized(field.label, locale);
        return (
          <Form.Item key={field.id} name={field.id} label={name} rules={field.required ? [{ required: true, message: t('report.required', { name }) }] : undefined}>
            <ParameterInput field={field} />
          </Form.Item>
        );
      })}
      <Form.Item>
        <Space wrap>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="report-run">
            {t('report.run')}
          </Button>
          {fields.length > 0 && (
            <Button
              onClick={() => {
                form.resetFields();
                onRun({});
              }}
            >
              {t('reset')}
            </Button>
          )}
          {extra}
        </Space>
      </Form.Item>
    </Form>
  );
}
