import { App, Button, Card, DatePicker, Descriptions, Form, Input, Select } from 'antd';
import type { Rule } from 'antd/es/form';
import { announceChange } from './changes.js';
import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../../api.js';
import { BlockNotConfigured } from '../status.js';
import { localized, useBlockText } from '../words.js';
import { cell } from './cells.js';
import { errorsByField, isExtPath, isPicker, readFormConfig, valueAt, type ExtFormConfig, type ExtFormField } from './config.js';
import { sendExt, type ExtRow } from './ext-api.js';
import { ActionError } from './ExtActions.js';
import { useExtText } from './ext-words.js';
import { isEmpty, nextEmptyField, prefillFrom, startValues, toBody, type Values, type VolumeValue } from './form-values.js';
import { EntitySelect, LitresInput, LocationInput, LookupInput, MoneyInput, PhotoInput, TextFileInput } from './inputs.js';
import { parseVolume } from './litres.js';
import { parseMoney } from './money.js';
import { newRequestKey } from './request-key.js';
import { publishSelection } from './selection.js';

/** A request key per `requestKey` field, made now. */
const freshKeys = (fields: ExtFormField[]): Record<string, string> => Object.fromEntries(fields.filter((f) => f.kind === 'requestKey').map((f) => [f.key, newRequestKey()]));

/**
 * 扩展表单: a form that posts to a domain pack's route (a meter reading with its photo and position, a
 * counter payment, a bank file …). Sends once at a time, with a request key per load that is renewed
 * after each success (a resubmit of the same load is the same request); the pack's validation errors
 * land under their fields (`body.<key>`); a success says so, shows the configured keys of the answer
 * (a receipt number, the change) until the next submit, and starts the form afresh (`resetOnSuccess`)
 * with the cursor back in its `autofocus` field. Enter submits. A lookup fills other fields from the
 * row it chose (`prefill`) and moves the cursor to the next empty field. Without a path, a form of
 * publishing lookups is a picker for the page's tables. Full-width inputs and a large button for phones.
 */
export function ExtForm({ config }: { config: ExtFormConfig }) {
  const { t, locale } = useBlockText();
  const { tx } = useExtText();
  const { message } = App.useApp();
  const [form] = Form.useForm<Values>();
  const name = `ext-form-${useId().replace(/[^A-Za-z0-9]/g, '')}`;
  const sending = useRef(false);
  const keys = useRef<Record<string, string>>(freshKeys(config.fields));
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<{ error: unknown; rest?: string[] } | null>(null);
  const [result, setResult] = useState<ExtRow | null>(null);
  const initial = useMemo(() => startValues(config.fields), [config.fields]);
  const picker = isPicker(config);
  const focusKey = config.fields.find((f) => f.autofocus)?.key;

  const focusLater = useCallback(
    (key: string | undefined) => {
      if (key) setTimeout(() => form.focusField(key), 0);
    },
    [form],
  );
  useEffect(() => focusLater(focusKey), [focusKey, focusLater]);

  if (!picker && !isExtPath(config.path)) return <BlockNotConfigured what={`${t('block.ext-form')} — ${t('ext.badPath')}`} />;
  if (!config.fields.length) return <BlockNotConfigured what={t('block.ext-form')} />;

  const submit = async (values: Values) => {
    if (sending.current || picker) return;
    sending.current = true;
    setBusy(true);
    setProblem(null);
    setResult(null);
    try {
      const answer = await sendExt<unknown>('post', config.path, toBody(config.fields, values, keys.current));
      void message.success(localized(config.successMessage, locale) || t('ext.submitted'));
      for (const path of [config.path, ...config.refreshes]) announceChange(path);
      keys.current = freshKeys(config.fields);
      if (config.result.length) setResult(answer && typeof answer === 'object' && !Array.isArray(answer) ? (answer as ExtRow) : {});
      if (config.resetOnSuccess) {
        form.resetFields();
        form.setFieldsValue(startValues(config.fields) as Parameters<typeof form.setFieldsValue>[0]);
        for (const f of config.fields) if (f.kind === 'lookup' && f.lookup?.publish) publishSelection(f.lookup.publish, null);
      }
      focusLater(focusKey);
    } catch (error) {
      const fieldKeys = config.fields.map((f) => f.key);
      const aliases: Record<string, string> = {};
      const location = config.fields.find((f) => f.kind === 'location')?.key;
      if (location) Object.assign(aliases, { latitude: location, longitude: location });
      for (const f of config.fields) {
        if (f.kind === 'file' && f.file?.fileNameKey) aliases[f.file.fileNameKey] = f.key;
        if (f.kind === 'photo' && f.listKey) aliases[f.listKey] ??= f.key;
      }
      const placed = errorsByField(error instanceof ApiError ? error.details : [], fieldKeys, aliases);
      const entries = Object.entries(placed.fields);
      form.setFields(entries.map(([field, errors]) => ({ name: field, errors })));
      if (entries[0]) form.scrollToField(entries[0][0]);
      if (!entries.length || placed.rest.length) setProblem({ error, rest: entries.length ? placed.rest : undefined });
    } finally {
      sending.current = false;
      setBusy(false);
    }
  };

  /**
   * A lookup chose a row (or was cleared): fill the fields it fills, tell the page, and — once its details
   * are in (`pending` until then) — move the cursor to the next empty field.
   */
  const chosen = (field: ExtFormField, row: ExtRow | null, pending: boolean) => {
    const lookup = field.lookup!;
    if (lookup.publish) publishSelection(lookup.publish, row);
    if (!row) return;
    const filled = prefillFrom(config.fields, lookup.prefill, row);
    if (Object.keys(filled).length) {
      form.setFieldsValue(filled as Parameters<typeof form.setFieldsValue>[0]);
      form.setFields(Object.keys(filled).map((key) => ({ name: key, errors: [] })));
    }
    if (!pending) focusLater(nextEmptyField(config.fields, { ...form.getFieldsValue(true), ...filled }, field.key));
  };

  const item = (field: ExtFormField): ReactNode => {
    if (field.kind === 'requestKey') return null;
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
    if (field.kind === 'money') {
      rules.push({
        validator: (_, v: string | undefined) => {
          if (!v || !String(v).trim()) return Promise.resolve();
          const parsed = parseMoney(v, { allowNegative: field.allowNegative === true });
          return parsed.ok ? Promise.resolve() : Promise.reject(new Error(tx(`money.${parsed.problem}`)));
        },
      });
    }
    const options = field.options.map((o) => ({ value: o.value, label: localized(o.label, locale) }));
    const autoFocus = field.autofocus === true;
    const controls: Record<Exclude<ExtFormField['kind'], 'requestKey'>, () => ReactNode> = {
      text: () => <Input size="large" autoFocus={autoFocus} aria-label={label} />,
      textarea: () => <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} autoFocus={autoFocus} aria-label={label} />,
      integer: () => <Input size="large" inputMode="numeric" autoComplete="off" autoFocus={autoFocus} aria-label={label} />,
      litres: () => <LitresInput aria-label={label} />,
      money: () => <MoneyInput allowNegative={field.allowNegative} autoFocus={autoFocus} aria-label={label} />,
      datetime: () => <DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" size="large" style={{ width: '100%' }} aria-label={label} />,
      select: () => <Select size="large" allowClear options={options} placeholder={t('ext.pick')} style={{ width: '100%' }} aria-label={label} />,
      photo: () => <PhotoInput aria-label={label} />,
      location: () => <LocationInput aria-label={label} />,
      entity: () => <EntitySelect entity={field.entity} aria-label={label} />,
      lookup: () => <LookupInput lookup={field.lookup!} autoFocus={autoFocus} aria-label={label} onChosen={(row, pending) => chosen(field, row, pending)} />,
      file: () => <TextFileInput accept={field.file!.accept} encoding={field.file!.encoding} maxBytes={field.file!.maxBytes} aria-label={label} />,
    };
    return (
      <Form.Item key={field.key} name={field.key} label={label} rules={rules} required={field.required} data-testid={`ext-field-${field.key}`}>
        {controls[field.kind]()}
      </Form.Item>
    );
  };

  const ctx = { locale, t, busyStatuses: [] as string[] };
  return (
    <div className="sy-ext-form" data-testid="ext-form" style={{ maxWidth: 640 }}>
      {problem !== null && <ActionError error={problem.error} details={problem.rest} onClose={() => setProblem(null)} />}
      {result !== null && (
        <Descriptions
          title={tx('result')}
          size="small"
          bordered
          column={1}
          style={{ marginBottom: 16 }}
          data-testid="ext-form-result"
          items={config.result.map((column) => ({
            key: column.key,
            label: localized(column.title, locale) || column.key,
            children: <span data-testid={`ext-result-${column.key}`}>{cell(column, valueAt(result, column.key), ctx)}</span>,
          }))}
        />
      )}
      <Form form={form} name={name} layout="vertical" initialValues={initial} onFinish={(values) => void submit(values)} scrollToFirstError>
        {config.fields.map(item)}
        {!picker && (
          <Button type="primary" htmlType="submit" size="large" block loading={busy} disabled={busy} data-testid="ext-form-submit">
            {localized(config.submitLabel, locale) || t('submit')}
          </Button>
        )}
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
