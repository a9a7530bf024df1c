import { createForm, type Field } from '@formily/core';
import {
  ArrayCards,
  ArrayItems,
  ArrayTable,
  Checkbox,
  DatePicker,
  Form,
  FormGrid,
  FormItem,
  FormLayout,
  Input,
  NumberPicker,
  Password,
  Radio,
  Select,
  Space as FormSpace,
  Switch,
  TimePicker,
} from '@formily/antd-v5';
import { createSchemaField, type ISchema } from '@formily/react';
import { Alert, App, Button, Card, Select as AntSelect, Space } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { api, ApiError } from '../../api.js';
import type { EntityContent, EntityFormBlockConfig, Page } from '../../artifacts.js';
import { useRemote } from '../remote.js';
import { BlockError, BlockLoading, BlockNotConfigured } from '../status.js';
import { useBlockText } from '../words.js';
import { createRecord, loadEntityModel, loadEntitySchema, normaliseData, updateRecord, prepareFormSchema, type EntityRecord } from './entity-api.js';

/** A reference to another entity's record: its id, chosen by the record's title. */
function ReferenceSelect(props: { value?: unknown; onChange?: (value: unknown) => void; entity?: string; reference?: string; code?: string; titleField?: string; disabled?: boolean; readOnly?: boolean; 'aria-label'?: string }) {
  const code = props.entity ?? props.reference ?? props.code;
  const [options, setOptions] = useState<{ value: number; label: string }[]>([]);
  const [q, setQ] = useState('');
  const [titleField, setTitleField] = useState<string | undefined>(props.titleField);
  useEffect(() => {
    if (!code || props.titleField) return;
    const controller = new AbortController();
    loadEntityModel(code, controller.signal)
      .then((model) => setTitleField(model.titleField ?? model.fields.find((f) => f.type === 'string')?.name))
      .catch(() => undefined);
    return () => controller.abort();
  }, [code, props.titleField]);
  useEffect(() => {
    if (!code) return;
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api
        .get<Page<EntityRecord>>(`/api/entities/${encodeURIComponent(code)}/records`, { pageSize: 50, q: q || undefined }, controller.signal)
        .then((page) =>
          setOptions(
            page.items.map((r) => {
              const title = titleField ? r.data[titleField] : Object.values(r.data).find((v) => typeof v === 'string');
              return { value: r.id, label: title ? `${String(title)} (#${r.id})` : `#${r.id}` };
            }),
          ),
        )
        .catch(() => undefined);
    }, 250);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [code, q, titleField]);
  return (
    <AntSelect
      showSearch
      allowClear
      filterOption={false}
      onSearch={setQ}
      value={props.value as number | undefined}
      onChange={props.onChange}
      options={options}
      disabled={props.disabled || props.readOnly}
      aria-label={props['aria-label']}
    />
  );
}

const SchemaField = createSchemaField({
  components: {
    FormItem,
    FormLayout,
    FormGrid,
    Space: FormSpace,
    Input,
    Password,
    NumberPicker,
    Select,
    Radio,
    Checkbox,
    Switch,
    DatePicker,
    TimePicker,
    ArrayTable,
    ArrayItems,
    ArrayCards,
    ReferenceSelect,
    EntityReference: ReferenceSelect,
  },
});

export interface EntityFormProps {
  config: EntityFormBlockConfig;
  /** The record to edit; a new one is created without it. */
  record?: EntityRecord;
  onSaved?: (record: EntityRecord) => void;
  onCancel?: () => void;
}

/** A `body.data.meters.0.meterNo` error path as the form's field path (`meters.0.meterNo`). */
const fieldPath = (path: string | undefined) => (path?.startsWith('body.data.') ? path.slice('body.data.'.length) : undefined);

/**
 * 实体表单: the Formily form the runtime generates from the entity model; creates a record, or saves a
 * changed one with its revision (someone else's change in between is a conflict). The API's validation
 * errors land on their fields.
 */
export function EntityForm({ config, record, onSaved, onCancel }: EntityFormProps) {
  const { t } = useBlockText();
  const { message } = App.useApp();
  const loaded = useRemote(
    async (signal) => {
      const [schema, model] = await Promise.all([loadEntitySchema(config.entity, signal), loadEntityModel(config.entity, signal).catch(() => null)]);
      return { schema: prepareFormSchema(schema), model };
    },
    config.entity ?? '',
  );
  const form = useMemo(() => createForm({ initialValues: record ? structuredClone(record.data) : {} }), [record, loaded.data]);
  const [saving, setSaving] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);

  if (!config.entity) return <BlockNotConfigured what={t('block.entity-form')} />;
  if (loaded.status === 'error') return <BlockError error={loaded.error} onRetry={loaded.reload} />;
  if (!loaded.data) return <BlockLoading />;
  const { schema, model } = loaded.data;

  const save = async () => {
    if (saving) return;
    setSaving(true);
    setProblems([]);
    try {
      form.clearErrors('*');
      await form.validate();
      const data = normaliseData((model as EntityContent | null)?.fields ?? [], JSON.parse(JSON.stringify(form.values)) as Record<string, unknown>);
      const saved = record ? await updateRecord(config.entity, record.id, data, record.revision) : await createRecord(config.entity, data);
      void message.success(record ? t('saved') : t('created'));
      if (!record) form.reset('*', { forceClear: true });
      onSaved?.(saved);
    } catch (error) {
      if (error instanceof ApiError) {
        const unplaced: string[] = [];
        for (const detail of error.details) {
          const path = fieldPath(detail.path);
          const field = path ? (form.query(path).take() as Field | undefined) : undefined;
          if (field && 'setSelfErrors' in field) field.setSelfErrors([detail.message]);
          else unplaced.push(detail.path ? `${detail.path}: ${detail.message}` : detail.message);
        }
        setProblems(error.code === 'conflict' ? [t('conflict'), ...unplaced] : error.details.length === 0 ? [error.message] : unplaced);
      } else if (Array.isArray(error)) {
        // Formily's own validation feedback is on the fields already.
      } else setProblems([error instanceof Error ? error.message : String(error)]);
    } finally {
      setSaving(false);
    }
  };

  return (
    <div className="sy-entity-form" data-testid="entity-form">
      {problems.length > 0 && <Alert type="error" showIcon message={t('fieldErrors')} description={<ul className="sy-block-error__details">{problems.map((p, i) => <li key={i}>{p}</li>)}</ul>} style={{ marginBottom: 12 }} data-testid="entity-form-errors" />}
      <Form form={form} layout="vertical" onAutoSubmit={save}>
        <SchemaField schema={schema as ISchema} />
        <Space>
          <Button type="primary" onClick={() => void save()} loading={saving} disabled={saving} data-testid="entity-form-submit">
            {record ? t('save') : t('submit')}
          </Button>
          {onCancel && <Button onClick={onCancel}>{t('cancel')}</Button>}
        </Space>
      </Form>
    </div>
  );
}

export function EntityFormBlock({ config }: { config: EntityFormBlockConfig }) {
  return (
    <Card className="sy-block sy-block--entity-form" data-testid="block-entity-form" size="small" title={config.title ?? undefined} variant="outlined">
      <EntityForm config={config} />
    </Card>
  );
}

export default EntityFormBlock;
