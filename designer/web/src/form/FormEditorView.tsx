import '@bpmn-io/form-js-editor/dist/assets/dragula.css';
import '@bpmn-io/form-js/dist/assets/form-js-editor.css';
import '@bpmn-io/form-js/dist/assets/form-js.css';
import '@bpmn-io/form-js/dist/assets/properties-panel.css';
import './form.css';

import { Form, FormEditor } from '@bpmn-io/form-js';
import { useTranslation, type FormContent } from '@shuiyun/web-kit';
import { Alert, Button, Empty, Input, Space, Tabs, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import type { KindEditorProps } from '../editor/types.js';
import { messageOf } from '../lib/errors.js';

type Schema = Record<string, unknown>;

function blankSchema(code: string): Schema {
  return { type: 'default', id: code, components: [] };
}

const EXPORTER = { name: 'Shuiyun Designer', version: '0.1.0' };

/** The form-js editor on the draft's schema. */
function SchemaEditor({ schema, onChange, readOnly, errors }: { schema: Schema; onChange(schema: Schema): void; readOnly: boolean; errors: KindEditorProps['errors'] }) {
  const { t } = useTranslation();
  const containerRef = useRef<HTMLDivElement>(null);
  const editorRef = useRef<FormEditor | null>(null);
  const last = useRef<string>('');
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const [importError, setImportError] = useState<string | null>(null);
  const [ready, setReady] = useState(false);

  const load = async (next: Schema) => {
    const editor = editorRef.current;
    if (!editor) return;
    try {
      await editor.importSchema(next as never);
      setImportError(null);
    } catch (e) {
      setImportError(messageOf(e, t('form.importFailed')));
    }
  };

  useEffect(() => {
    const editor = new FormEditor({ container: containerRef.current!, exporter: EXPORTER });
    editorRef.current = editor;
    editor.on('commandStack.changed', (event: { trigger?: string }) => {
      if (event.trigger === 'clear' || readOnly) return;
      const saved = editor.saveSchema() as Schema;
      last.current = JSON.stringify(saved);
      onChangeRef.current(saved);
    });
    last.current = JSON.stringify(schema);
    void load(schema).then(() => setReady(true));
    return () => {
      editorRef.current = null;
      editor.destroy();
    };
  }, []);

  useEffect(() => {
    if (!ready) return;
    const text = JSON.stringify(schema);
    if (text === last.current) return;
    last.current = text;
    void load(schema);
  }, [schema, ready]);

  const fieldErrors = errors.filter((e) => e.message);
  return (
    <div className="sy-form-editor-wrap">
      {importError && <Alert type="error" showIcon banner message={t('form.importFailed')} description={importError} />}
      {fieldErrors.length > 0 && (
        <Alert
          type="error"
          showIcon
          banner
          message={t('form.publishErrors')}
          description={
            <ul className="sy-plain-list">
              {fieldErrors.map((e, i) => (
                <li key={i}>
                  {e.path && <Typography.Text code>{e.path}</Typography.Text>} {e.message}
                </li>
              ))}
            </ul>
          }
        />
      )}
      <div className={readOnly ? 'sy-form-editor sy-readonly' : 'sy-form-editor'} ref={containerRef} data-testid="form-editor" />
    </div>
  );
}

/** 预览: the form rendered by the form-js viewer with editable test data, and what a submit gives. */
function Preview({ schema }: { schema: Schema }) {
  const { t } = useTranslation();
  const containerRef = useRef<HTMLDivElement>(null);
  const formRef = useRef<Form | null>(null);
  const [dataText, setDataText] = useState('{}');
  const [dataError, setDataError] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [submitted, setSubmitted] = useState<{ data: unknown; errors: Record<string, string[]> } | null>(null);
  const [renderError, setRenderError] = useState<string | null>(null);

  const render = async (data: Record<string, unknown>) => {
    formRef.current?.destroy();
    const form = new Form({ container: containerRef.current! });
    formRef.current = form;
    form.on('changed', (state: { data: Record<string, unknown> }) => setValues(state.data));
    try {
      await form.importSchema(schema as never, data);
      setRenderError(null);
    } catch (e) {
      setRenderError(messageOf(e, t('form.importFailed')));
    }
  };

  useEffect(() => {
    void render(parse(dataText) ?? {});
    return () => {
      formRef.current?.destroy();
      formRef.current = null;
    };
  }, [schema]);

  function parse(text: string): Record<string, unknown> | null {
    try {
      const value = JSON.parse(text || '{}') as unknown;
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(t('form.dataNotObject'));
      setDataError(null);
      return value as Record<string, unknown>;
    } catch (e) {
      setDataError(messageOf(e, t('form.dataInvalid')));
      return null;
    }
  }

  const submit = () => {
    const form = formRef.current;
    if (!form) return;
    const result = form.submit() as { data: unknown; errors: Record<string, string[]> };
    setSubmitted({ data: result.data, errors: result.errors });
  };

  const errorEntries = submitted ? Object.entries(submitted.errors) : [];
  return (
    <div className="sy-form-preview">
      <div className="sy-form-preview-form">
        {renderError && <Alert type="error" showIcon message={renderError} />}
        <div ref={containerRef} data-testid="form-preview" />
        <Space style={{ marginTop: 12 }}>
          <Button type="primary" onClick={submit} data-testid="form-preview-submit">
            {t('form.submit')}
          </Button>
          <Button
            onClick={() => {
              formRef.current?.reset();
              setSubmitted(null);
            }}
          >
            {t('form.reset')}
          </Button>
        </Space>
      </div>
      <div className="sy-form-preview-side">
        <Typography.Title level={5}>{t('form.testData')}</Typography.Title>
        <Input.TextArea
          value={dataText}
          onChange={(e) => setDataText(e.target.value)}
          autoSize={{ minRows: 6, maxRows: 14 }}
          className="sy-mono"
          status={dataError ? 'error' : undefined}
          data-testid="form-preview-data"
        />
        {dataError && <Typography.Text type="danger">{dataError}</Typography.Text>}
        <div style={{ marginTop: 8 }}>
          <Button
            size="small"
            onClick={() => {
              const data = parse(dataText);
              if (data) {
                setSubmitted(null);
                void render(data);
              }
            }}
            data-testid="form-preview-apply"
          >
            {t('form.applyData')}
          </Button>
        </div>
        <Typography.Title level={5} style={{ marginTop: 16 }}>
          {t('form.currentValues')}
        </Typography.Title>
        <pre className="sy-json">{JSON.stringify(values, null, 2)}</pre>
        {submitted && (
          <div data-testid="form-preview-result">
            <Typography.Title level={5} style={{ marginTop: 16 }}>
              {errorEntries.length > 0 ? t('form.invalid', { count: errorEntries.length }) : t('form.valid')}
            </Typography.Title>
            {errorEntries.length > 0 ? (
              <ul className="sy-plain-list" data-testid="form-preview-errors">
                {errorEntries.map(([field, messages]) => (
                  <li key={field}>
                    <Typography.Text code>{field}</Typography.Text> <Typography.Text type="danger">{messages.join('；')}</Typography.Text>
                  </li>
                ))}
              </ul>
            ) : (
              <pre className="sy-json" data-testid="form-preview-submitted">
                {JSON.stringify(submitted.data, null, 2)}
              </pre>
            )}
          </div>
        )}
      </div>
    </div>
  );
}

/** 表单设计: the form-js editor, and a preview tab with test data. Content: `{schema}`. */
export default function FormEditorView({ artifact, value, onChange, readOnly, errors }: KindEditorProps<FormContent>) {
  const { t } = useTranslation();
  const [tab, setTab] = useState('design');
  const schema = value.schema && typeof value.schema === 'object' ? value.schema : blankSchema(artifact.code);
  const components = (schema.components as unknown[] | undefined) ?? [];
  return (
    <Tabs
      className="sy-kind-tabs"
      activeKey={tab}
      onChange={setTab}
      items={[
        {
          key: 'design',
          label: <span data-testid="form-design-tab">{t('form.design')}</span>,
          forceRender: true,
          children: <SchemaEditor schema={schema} onChange={(next) => onChange({ ...value, schema: next })} readOnly={readOnly} errors={errors} />,
        },
        {
          key: 'preview',
          label: <span data-testid="form-preview-tab">{t('form.preview')}</span>,
          children: tab === 'preview' && (components.length > 0 ? <Preview schema={schema} /> : <Empty description={t('form.emptyPreview')} />),
        },
      ]}
    />
  );
}
