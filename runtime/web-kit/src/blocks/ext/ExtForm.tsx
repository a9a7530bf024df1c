import { App, Button, Card, DatePicker, Form, Input, Select } from 'antd';
import type { Rule } from 'antd/es/form';
import dayjs, { type Dayjs } from 'dayjs';
import { announceChange } from './changes.js';
import { useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { BlockNotConfigured } from '../status.js';
import { localized, useBlockText } from '../words.js';
import { errorsByField, isExtPath, readFormConfig, type ExtFormConfig, type ExtFormField } from './config.js';
import { sendExt } from './ext-api.js';
import { ActionError } from './ExtActions.js';
import { EntitySelect, LitresInput, LocationInput, PhotoInput, type LocationValue, type VolumeValue } from './inputs.js';
import { parseVolume } from './litres.js';

type Values = Record<string, unknown>;

/** What a new (or just submitted) form starts with: now for date-times, m³ for volumes. */
const startValues = (fields: ExtFormField[]): Values =>
  Object.fromEntries(fields.flatMap((f): [string, unknown][] => (f.kind === 'datetime' ? [[f.key, dayjs()]] : f.kind === 'litres' ? [[f.key, { text: '', unit: 'm3' }]] : [])));

const isEmpty = (field: ExtFormField, value: unknown) =>
  value === undefined || value === null || (typeof value === 'string' && !value.trim()) || (field.kind === 'litres' && !(value as VolumeValue).text?.trim());

/** The body the pack route gets: volumes as exact integer litres (text), instants as ISO, a location as `latitude`/`longitude`. */
function toBody(fields: ExtFormField[], values: Values): Values {
  const body: Values = {};
  for (const field of fields) {
    const value = values[field.key];
    if (isEmpty(field, value)) continue;
    switch (field.kind) {
      case 'litres': {
        const parsed = parseVolume((value as VolumeValue).text, (value as VolumeValue).unit);
        if (parsed.ok) body[field.key] = parsed.litres;
        break;
      }
      case 'integer': {
        const text = String(value).trim();
        body[field.key] = Number.isSafeInteger(Number(text)) ? Number(text) : text;
        break;
      }
      case 'datetime':
        body[field.key] = (value as Dayjs).toISOString();
        break;
      case 'location':
        body.latitude = (value as LocationValue).latitude;
        body.longitude = (value as LocationValue).longitude;
        break;
      default:
        body[field.key] = typeof value === 'string' ? value.trim() : value;
    }
  }
  return body;
}

/**
 * 扩展表单: a form that posts to a domain pack's route (a meter reading with its photo and position, say).
 * Sends once at a time; the pack's validation errors land under their fields (`body.<key>`); a success
 * says so and starts the form afresh. Full-width inputs and a large button for phones.
 */
export function ExtForm({ config }: { config: ExtFormConfig }) {
  const { t, locale } = useBlockText();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const sending = useRef(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ error: unknown; rest?: string[] } | null>(null);
  const initial = useMemo(() => startValues(config.fields), [config.fields]);

  if (!isExtPath(config.path)) return <BlockNotConfigured what={`${t('block.ext-form')} — ${t('ext.badPath')}`} />;
  if (!config.fields.length) return <BlockNotConfigured what={t('block.ext-form')} />;

  const submit = async (values: Values) => {
    if (sending.current) return;
    sending.current = true;
    setBusy(true);
    setProblem(null);
    try {
      await sendExt('post', config.path, toBody(config.fields, values));
      void message.success(localized(config.successMessage, locale) || t('ext.submitted'));
      announceChange(config.path);
      form.resetFields();
      form.setFieldsValue(startValues(config.fields) as Parameters<typeof form.setFieldsValue>[0]);
    } catch (error) {
      const keys = config.fields.map((f) => f.key);
      const location = config.fields.find((f) => f.kind === 'location')?.key;
      const placed = errorsByField(error instanceof ApiError ? error.details : [], keys, location ? { latitude: location, longitude: location } : {});
      const entries = Object.entries(placed.fields);
      form.setFields(entries.map(([name, errors]) => ({ name, errors })));
      if (entries[0]) form.scrollToField(entries[0][0]);
      if (!entries.length || placed.rest.length) setProblem({ error, rest: entries.length ? placed.rest : undefined });
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  const item = (field: ExtFormField): ReactNode => {
    const label = localized(field.label, locale) || field.key;
    const rules: Rule[] = [];
    if (field.required) rules.push({ validator: (_, v: unknown) => (isEmpty(field, v) ? Promise.reject(new Error(t('ext.required', { name: label }))) : Promise.resolve()) });
    if (field.kind === 'integer') rules.push({ pattern: /^\s*-?\d+\s*$/, message: t('ext.integer') });
    if (field.kind === 'litres') {
      rules.push({
        validator: (_, v: VolumeValue | undefined) => {
          if (!v || !v.text.trim()) return Promise.resolve();
          const parsed = parseVolume(v.text, v.unit);
          return parsed.ok ? Promise.resolve() : Promise.reject(new Error(t(`ext.volume.${parsed.problem}`)));
        },
      });
    }
    const options = field.options.map((o) => ({ value: o.value, label: localized(o.label, locale) }));
    const control = {
      text: <Input size="large" aria-label={label} />,
      textarea: <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} aria-label={label} />,
      integer: <Input size="large" inputMode="numeric" autoComplete="off" aria-label={label} />,
      litres: <LitresInput aria-label={label} />,
      datetime: <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" size="large" style={{ width: '100%' }} aria-label={label} />,
      select: <Select size="large" allowClear options={options} placeholder={t('ext.pick')} style={{ width: '100%' }} aria-label={label} />,
      photo: <PhotoInput aria-label={label} />,
      location: <LocationInput aria-label={label} />,
      entity: <EntitySelect entity={field.entity} aria-label={label} />,
    }[field.kind];
    return (
      <Form.Item key={field.key} name={field.key} label={label} rules={rules} required={field.required} data-testid={`ext-field-${field.key}`}>
        {control}
      </Form.Item>
    );
  };

  return (
    <div className="sy-ext-form" data-testid="ext-form" style={{ maxWidth: 640 }}>
      {problem !== null && <ActionError error={problem.error} details={problem.rest} onClose={() => setProblem(null)} />}
      <Form form={form} layout="vertical" initialValues={initial} onFinish={(values) => void submit(values)} scrollToFirstError>
        {config.fields.map(item)}
        <Button type="primary" htmlType="submit" size="large" block loading={busy} disabled={busy} data-testid="ext-form-submit">
          {localized(config.submitLabel, locale) || t('submit')}
        </Button>
      </Form>
    </div>
  );
}

export function ExtFormBlock({ config: raw }: { config: Record<string, unknown> }) {
  const { locale } = useBlockText();
  const config = useMemo(() => readFormConfig(raw), [raw]);
  return (
    <Card className="sy-block sy-block--ext-form" data-testid="block-ext-form" size="small" title={localized(config.title, locale) || undefined} variant="outlined">
      <ExtForm config={config} key={`${config.path}:${locale}`} />
    </Card>
  );
}

export default ExtFormBlock;
