import { ArrowDownOutlined, ArrowUpOutlined, DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { useTranslation, type EntityContent, type EntityField, type EntityFieldType } from '@shuiyun/web-kit';
import { Alert, Button, Card, Checkbox, Col, Form, Input, InputNumber, Row, Select, Space, Table, Tabs, Tooltip, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { JsonTab } from '../common/JsonTab.js';
import type { KindEditorProps } from '../editor/types.js';
import { designApi } from '../lib/design-api.js';
import { fieldOf } from '../lib/errors.js';
import { validateEntity } from './validate.js';

const TYPES: EntityFieldType[] = ['string', 'text', 'integer', 'decimal', 'boolean', 'date', 'datetime', 'enum', 'reference'];

function normalize(value: Partial<EntityContent>): EntityContent {
  return {
    ...value,
    label: { 'zh-CN': value.label?.['zh-CN'] ?? '', en: value.label?.en ?? '' },
    fields: Array.isArray(value.fields) ? value.fields : [],
  };
}

/** Drops the settings a type does not use, so a changed type leaves nothing stale behind. */
function retype(field: EntityField, type: EntityFieldType): EntityField {
  const { options, reference, min, max, maxLength, pattern, scale, ...rest } = field;
  const next: EntityField = { ...rest, type };
  if (type === 'enum') next.options = options ?? [];
  if (type === 'reference' && reference) next.reference = reference;
  if (type === 'integer' || type === 'decimal') {
    if (min !== undefined) next.min = min;
    if (max !== undefined) next.max = max;
  }
  if (type === 'decimal') next.scale = scale ?? 2;
  if (type === 'string' || type === 'text') {
    if (maxLength !== undefined) next.maxLength = maxLength;
    if (pattern) next.pattern = pattern;
  }
  return next;
}

const setOptional = <K extends keyof EntityField>(field: EntityField, key: K, value: EntityField[K] | null | undefined | ''): EntityField => {
  const next = { ...field };
  if (value === null || value === undefined || value === '') delete next[key];
  else next[key] = value;
  return next;
};

/** 实体模型: label, fields (types and constraints), indexes and the title field, checked as you type. */
export default function EntityEditor({ value, onChange, readOnly, errors, focus }: KindEditorProps<EntityContent>) {
  const { t } = useTranslation();
  const entity = useMemo(() => normalize(value), [value]);
  const [entities, setEntities] = useState<{ code: string; name: string }[]>([]);
  const [expanded, setExpanded] = useState<number[]>([]);
  const [tab, setTab] = useState('design');

  useEffect(() => {
    designApi
      .list({ kind: 'entity', pageSize: 200 })
      .then((page) => setEntities(page.items.map((e) => ({ code: e.code, name: e.name }))))
      .catch(() => undefined);
  }, []);

  const local = useMemo(() => validateEntity(entity), [entity]);
  // Problems by path: ours, and the runtime's from the last refused publish.
  const messagesAt = (path: string): string[] => [
    ...(local.get(path) ?? []).map((p) => t(p.key, p.values)),
    ...errors.filter((e) => (fieldOf(e) ?? '').replace(/^content\./, '') === path).map((e) => e.message),
  ];
  const status = (path: string) => (messagesAt(path).length > 0 ? ('error' as const) : undefined);
  const help = (path: string) => {
    const messages = messagesAt(path);
    return messages.length > 0 ? <span data-testid={`entity-error-${path}`}>{messages.join('；')}</span> : undefined;
  };

  useEffect(() => {
    const path = focus ? (fieldOf(focus.detail) ?? '').replace(/^content\./, '') : '';
    const match = /^fields\.(\d+)/.exec(path);
    if (match) setExpanded((rows) => [...new Set([...rows, Number(match[1])])]);
  }, [focus]);

  const update = (next: Partial<EntityContent>) => onChange({ ...entity, ...next });
  const setField = (index: number, field: EntityField) => update({ fields: entity.fields.map((f, i) => (i === index ? field : f)) });
  const move = (index: number, delta: number) => {
    const fields = [...entity.fields];
    const [field] = fields.splice(index, 1);
    fields.splice(index + delta, 0, field!);
    update({ fields });
  };
  const addField = () => {
    let n = entity.fields.length + 1;
    while (entity.fields.some((f) => f.name === `field${n}`)) n += 1;
    update({ fields: [...entity.fields, { name: `field${n}`, label: { 'zh-CN': '', en: '' }, type: 'string' }] });
  };
  const removeField = (index: number) => {
    const name = entity.fields[index]?.name;
    update({
      fields: entity.fields.filter((_, i) => i !== index),
      ...(entity.titleField === name ? { titleField: undefined } : {}),
    });
  };

  const fieldNames = entity.fields.map((f) => f.name).filter(Boolean);
  const otherProblems = errors.filter((e) => {
    const path = (fieldOf(e) ?? '').replace(/^content\./, '');
    return !/^(label|fields|indexes|titleField)/.test(path);
  });

  const constraints = (field: EntityField, index: number) => {
    const at = `fields.${index}`;
    return (
      <Form layout="vertical" size="small" disabled={readOnly} className="sy-entity-constraints">
        <Row gutter={12}>
          {field.type === 'reference' && (
            <Col span={8}>
              <Form.Item label={t('entity.reference')} validateStatus={status(`${at}.reference`)} help={help(`${at}.reference`)}>
                <Select
                  showSearch
                  value={field.reference}
                  placeholder={t('entity.referencePlaceholder')}
                  options={entities.map((e) => ({ value: e.code, label: `${e.name} (${e.code})` }))}
                  onChange={(reference: string) => setField(index, { ...field, reference })}
                  data-testid={`entity-field-reference-${index}`}
                />
              </Form.Item>
            </Col>
          )}
          {(field.type === 'integer' || field.type === 'decimal') && (
            <>
              <Col span={4}>
                <Form.Item label={t('entity.min')} validateStatus={status(`${at}.min`)} help={help(`${at}.min`)}>
                  <InputNumber value={field.min} onChange={(v) => setField(index, setOptional(field, 'min', v))} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={4}>
                <Form.Item label={t('entity.max')} validateStatus={status(`${at}.max`)} help={help(`${at}.max`)}>
                  <InputNumber value={field.max} onChange={(v) => setField(index, setOptional(field, 'max', v))} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
            </>
          )}
          {field.type === 'decimal' && (
            <Col span={4}>
              <Form.Item label={t('entity.scale')} validateStatus={status(`${at}.scale`)} help={help(`${at}.scale`) ?? t('entity.scaleHelp')}>
                <InputNumber value={field.scale} min={0} max={12} precision={0} onChange={(v) => setField(index, setOptional(field, 'scale', v))} style={{ width: '100%' }} />
              </Form.Item>
            </Col>
          )}
          {(field.type === 'string' || field.type === 'text') && (
            <>
              <Col span={4}>
                <Form.Item label={t('entity.maxLength')} validateStatus={status(`${at}.maxLength`)} help={help(`${at}.maxLength`)}>
                  <InputNumber value={field.maxLength} min={1} max={100000} precision={0} onChange={(v) => setField(index, setOptional(field, 'maxLength', v))} style={{ width: '100%' }} />
                </Form.Item>
              </Col>
              <Col span={8}>
                <Form.Item label={t('entity.pattern')} validateStatus={status(`${at}.pattern`)} help={help(`${at}.pattern`) ?? t('entity.patternHelp')}>
                  <Input className="sy-mono" value={field.pattern ?? ''} placeholder="^1[3-9]\d{9}$" onChange={(e) => setField(index, setOptional(field, 'pattern', e.target.value))} />
                </Form.Item>
              </Col>
            </>
          )}
        </Row>
        {field.type === 'enum' && (
          <Form.Item label={t('entity.options')} validateStatus={status(`${at}.options`)} help={help(`${at}.options`)}>
            <Table
              size="small"
              pagination={false}
              rowKey={(_, i) => String(i)}
              dataSource={field.options ?? []}
              columns={[
                {
                  title: t('entity.optionValue'),
                  width: 180,
                  render: (_: unknown, option, j) => (
                    <Form.Item validateStatus={status(`${at}.options.${j}.value`)} help={help(`${at}.options.${j}.value`)} style={{ margin: 0 }}>
                      <Input value={option.value} onChange={(e) => setField(index, { ...field, options: field.options!.map((o, k) => (k === j ? { ...o, value: e.target.value.trim() } : o)) })} />
                    </Form.Item>
                  ),
                },
                {
                  title: t('entity.labelZh'),
                  render: (_: unknown, option, j) => (
                    <Form.Item validateStatus={status(`${at}.options.${j}.label.zh-CN`)} help={help(`${at}.options.${j}.label.zh-CN`)} style={{ margin: 0 }}>
                      <Input value={option.label['zh-CN']} onChange={(e) => setField(index, { ...field, options: field.options!.map((o, k) => (k === j ? { ...o, label: { ...o.label, 'zh-CN': e.target.value } } : o)) })} />
                    </Form.Item>
                  ),
                },
                {
                  title: t('entity.labelEn'),
                  render: (_: unknown, option, j) => (
                    <Form.Item validateStatus={status(`${at}.options.${j}.label.en`)} help={help(`${at}.options.${j}.label.en`)} style={{ margin: 0 }}>
                      <Input value={option.label.en} onChange={(e) => setField(index, { ...field, options: field.options!.map((o, k) => (k === j ? { ...o, label: { ...o.label, en: e.target.value } } : o)) })} />
                    </Form.Item>
                  ),
                },
                {
                  title: '',
                  width: 48,
                  render: (_: unknown, _option, j) => (
                    <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => setField(index, { ...field, options: field.options!.filter((_o, k) => k !== j) })} aria-label={t('entity.remove')} />
                  ),
                },
              ]}
              footer={() => (
                <Button size="small" icon={<PlusOutlined />} onClick={() => setField(index, { ...field, options: [...(field.options ?? []), { value: '', label: { 'zh-CN': '', en: '' } }] })} data-testid={`entity-option-add-${index}`}>
                  {t('entity.addOption')}
                </Button>
              )}
            />
          </Form.Item>
        )}
        {!['reference', 'integer', 'decimal', 'string', 'text', 'enum'].includes(field.type) && <Typography.Text type="secondary">{t('entity.noConstraints')}</Typography.Text>}
      </Form>
    );
  };

  const design = (
    <div className="sy-entity" data-testid="entity-editor">
      {otherProblems.length > 0 && <Alert type="error" showIcon message={otherProblems.map((e) => e.message).join('；')} style={{ marginBottom: 12 }} />}
      <Card size="small" title={t('entity.basics')}>
        <Form layout="vertical" size="small" disabled={readOnly}>
          <Row gutter={16}>
            <Col span={8}>
              <Form.Item label={t('entity.labelZh')} required validateStatus={status('label.zh-CN')} help={help('label.zh-CN')}>
                <Input value={entity.label['zh-CN']} onChange={(e) => update({ label: { ...entity.label, 'zh-CN': e.target.value } })} data-testid="entity-label-zh" />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label={t('entity.labelEn')} required validateStatus={status('label.en')} help={help('label.en')}>
                <Input value={entity.label.en} onChange={(e) => update({ label: { ...entity.label, en: e.target.value } })} data-testid="entity-label-en" />
              </Form.Item>
            </Col>
            <Col span={8}>
              <Form.Item label={t('entity.titleField')} validateStatus={status('titleField')} help={help('titleField') ?? t('entity.titleFieldHelp')}>
                <Select allowClear value={entity.titleField} options={fieldNames.map((name) => ({ value: name, label: name }))} onChange={(titleField?: string) => update({ titleField })} data-testid="entity-title-field" />
              </Form.Item>
            </Col>
          </Row>
        </Form>
      </Card>
      <Card
        size="small"
        title={t('entity.fields')}
        style={{ marginTop: 12 }}
        extra={
          !readOnly && (
            <Button size="small" type="primary" icon={<PlusOutlined />} onClick={addField} data-testid="entity-field-add">
              {t('entity.addField')}
            </Button>
          )
        }
      >
        {messagesAt('fields').length > 0 && <Alert type="warning" showIcon message={messagesAt('fields').join('；')} style={{ marginBottom: 8 }} />}
        <Table<EntityField>
          size="small"
          rowKey={(_, i) => String(i)}
          dataSource={entity.fields}
          pagination={false}
          expandable={{
            expandedRowKeys: expanded.map(String),
            onExpandedRowsChange: (keys) => setExpanded(keys.map(Number)),
            expandedRowRender: (field, index) => constraints(field, index),
          }}
          columns={[
            {
              title: t('entity.name'),
              width: 170,
              render: (_: unknown, field, i) => (
                <Form.Item validateStatus={status(`fields.${i}.name`)} help={help(`fields.${i}.name`)} style={{ margin: 0 }}>
                  <Input size="small" className="sy-mono" value={field.name} disabled={readOnly} onChange={(e) => setField(i, { ...field, name: e.target.value.trim() })} data-testid={`entity-field-name-${i}`} />
                </Form.Item>
              ),
            },
            {
              title: t('entity.labelZh'),
              render: (_: unknown, field, i) => (
                <Form.Item validateStatus={status(`fields.${i}.label.zh-CN`)} help={help(`fields.${i}.label.zh-CN`)} style={{ margin: 0 }}>
                  <Input size="small" value={field.label?.['zh-CN'] ?? ''} disabled={readOnly} onChange={(e) => setField(i, { ...field, label: { ...field.label, 'zh-CN': e.target.value } })} data-testid={`entity-field-label-${i}`} />
                </Form.Item>
              ),
            },
            {
              title: t('entity.labelEn'),
              render: (_: unknown, field, i) => (
                <Form.Item validateStatus={status(`fields.${i}.label.en`)} help={help(`fields.${i}.label.en`)} style={{ margin: 0 }}>
                  <Input size="small" value={field.label?.en ?? ''} disabled={readOnly} onChange={(e) => setField(i, { ...field, label: { ...field.label, en: e.target.value } })} data-testid={`entity-field-label-en-${i}`} />
                </Form.Item>
              ),
            },
            {
              title: t('entity.type'),
              width: 130,
              render: (_: unknown, field, i) => (
                <Select<EntityFieldType>
                  size="small"
                  value={field.type}
                  disabled={readOnly}
                  style={{ width: '100%' }}
                  options={TYPES.map((type) => ({ value: type, label: t(`entity.types.${type}`) }))}
                  onChange={(type) => {
                    setField(i, retype(field, type));
                    if (['enum', 'reference', 'decimal'].includes(type)) setExpanded((rows) => [...new Set([...rows, i])]);
                  }}
                  data-testid={`entity-field-type-${i}`}
                />
              ),
            },
            {
              title: t('entity.required'),
              width: 64,
              align: 'center',
              render: (_: unknown, field, i) => <Checkbox checked={Boolean(field.required)} disabled={readOnly} onChange={(e) => setField(i, setOptional(field, 'required', e.target.checked || undefined))} />,
            },
            {
              title: t('entity.unique'),
              width: 64,
              align: 'center',
              render: (_: unknown, field, i) => <Checkbox checked={Boolean(field.unique)} disabled={readOnly} onChange={(e) => setField(i, setOptional(field, 'unique', e.target.checked || undefined))} />,
            },
            {
              title: '',
              width: 110,
              render: (_: unknown, _field, i) =>
                !readOnly && (
                  <Space size={0}>
                    <Tooltip title={t('entity.up')}>
                      <Button size="small" type="text" icon={<ArrowUpOutlined />} disabled={i === 0} onClick={() => move(i, -1)} />
                    </Tooltip>
                    <Tooltip title={t('entity.down')}>
                      <Button size="small" type="text" icon={<ArrowDownOutlined />} disabled={i === entity.fields.length - 1} onClick={() => move(i, 1)} />
                    </Tooltip>
                    <Tooltip title={t('entity.remove')}>
                      <Button size="small" type="text" danger icon={<DeleteOutlined />} onClick={() => removeField(i)} data-testid={`entity-field-remove-${i}`} />
                    </Tooltip>
                  </Space>
                ),
            },
          ]}
        />
      </Card>
      <Card
        size="small"
        title={t('entity.indexes')}
        style={{ marginTop: 12 }}
        extra={
          !readOnly && (
            <Button size="small" icon={<PlusOutlined />} onClick={() => update({ indexes: [...(entity.indexes ?? []), { fields: [] }] })} data-testid="entity-index-add">
              {t('entity.addIndex')}
            </Button>
          )
        }
      >
        {(entity.indexes ?? []).length === 0 && <Typography.Text type="secondary">{t('entity.noIndexes')}</Typography.Text>}
        {(entity.indexes ?? []).map((index, i) => (
          <Form key={i} layout="inline" size="small" disabled={readOnly} style={{ marginBottom: 8 }}>
            <Form.Item label={t('entity.indexFields')} validateStatus={status(`indexes.${i}.fields`)} help={help(`indexes.${i}.fields`)}>
              <Select
                mode="multiple"
                style={{ minWidth: 320 }}
                value={index.fields}
                options={fieldNames.map((name) => ({ value: name, label: name }))}
                onChange={(fields: string[]) => update({ indexes: entity.indexes!.map((x, k) => (k === i ? { ...x, fields } : x)) })}
              />
            </Form.Item>
            <Form.Item>
              <Checkbox checked={Boolean(index.unique)} onChange={(e) => update({ indexes: entity.indexes!.map((x, k) => (k === i ? { ...x, unique: e.target.checked || undefined } : x)) })}>
                {t('entity.unique')}
              </Checkbox>
            </Form.Item>
            <Form.Item>
              <Button type="text" danger icon={<DeleteOutlined />} onClick={() => update({ indexes: entity.indexes!.filter((_, k) => k !== i) })} aria-label={t('entity.remove')} />
            </Form.Item>
          </Form>
        ))}
      </Card>
    </div>
  );

  return (
    <Tabs
      className="sy-kind-tabs"
      activeKey={tab}
      onChange={setTab}
      items={[
        { key: 'design', label: t('entity.design'), children: <div className="sy-scroll">{design}</div> },
        { key: 'json', label: 'JSON', children: <JsonTab value={entity} onChange={(next) => onChange(next as unknown as EntityContent)} readOnly={readOnly} /> },
      ]}
    />
  );
}
