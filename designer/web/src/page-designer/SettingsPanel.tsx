import { DeleteOutlined } from '@ant-design/icons';
import type { BlockSetting } from '@shuiyun/web-kit/blocks';
import { AutoComplete, Button, Form, Input, InputNumber, Switch, Typography } from 'antd';
import type { Component } from 'grapesjs';
import { useEffect, useState } from 'react';
import { blockOf, settingProp } from './block-types.js';
import type { SourceLists } from './setting-sources.js';
import { usePageDesignerText } from './words.js';

const inputId = (name: string) => `sy-setting-${name}`;

function JsonInput({ id, value, onCommit, disabled }: { id: string; value: unknown; onCommit: (value: unknown) => void; disabled?: boolean }) {
  const { t } = usePageDesignerText();
  // GrapesJS starts a trait property as '' until it is set.
  const shown = value === undefined || value === null || value === '' ? '' : JSON.stringify(value, null, 2);
  const [text, setText] = useState(shown);
  const [bad, setBad] = useState(false);
  useEffect(() => {
    setText(shown);
    setBad(false);
  }, [shown]);
  const commit = () => {
    if (!text.trim()) {
      setBad(false);
      onCommit(undefined);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      setBad(false);
      onCommit(parsed);
    } catch {
      setBad(true);
    }
  };
  return (
    <>
      <Input.TextArea id={id} value={text} onChange={(e) => setText(e.target.value)} onBlur={commit} autoSize={{ minRows: 2, maxRows: 8 }} status={bad ? 'error' : undefined} disabled={disabled} spellCheck={false} />
      {bad && <Typography.Text type="danger">{t('invalidJson')}</Typography.Text>}
    </>
  );
}

function SettingInput({ setting, value, onChange, lists, disabled }: { setting: BlockSetting; value: unknown; onChange: (value: unknown) => void; lists: SourceLists; disabled?: boolean }) {
  const { t, locale } = usePageDesignerText();
  const id = inputId(setting.name);
  switch (setting.kind) {
    case 'number':
      return <InputNumber id={id} value={typeof value === 'number' ? value : undefined} onChange={(v) => onChange(v ?? undefined)} min={1} style={{ width: '100%' }} disabled={disabled} />;
    case 'checkbox':
      return <Switch id={id} checked={value === true} onChange={onChange} disabled={disabled} />;
    case 'list':
      return <Input id={id} value={Array.isArray(value) ? value.join(', ') : ''} onChange={(e) => onChange(e.target.value.split(/[,，\s]+/).filter(Boolean))} disabled={disabled} />;
    case 'json':
      return <JsonInput id={id} value={value} onCommit={onChange} disabled={disabled} />;
    case 'select': {
      if (setting.options) {
        // A native select: reachable by its label and settable with one `selectOption` in tests.
        return (
          <select id={id} className="sy-page-designer__native-select sy-page-designer__native-select--block" value={(value as string | undefined) ?? ''} onChange={(e) => onChange(e.target.value || undefined)} disabled={disabled}>
            {setting.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label[locale]}
              </option>
            ))}
          </select>
        );
      }
      const list = setting.source ? lists[setting.source] : undefined;
      const options = Array.isArray(list) ? list : [];
      return (
        <>
          <AutoComplete
            id={id}
            value={(value as string | undefined) ?? ''}
            options={options}
            onChange={(v: string) => onChange(v.trim() || undefined)}
            filterOption={(input, option) => !input || String(option?.value ?? '').includes(input) || String(option?.label ?? '').includes(input)}
            allowClear
            disabled={disabled}
            placeholder={list === undefined ? '…' : undefined}
          />
          {list === 'failed' && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('sourceUnavailable')}
            </Typography.Text>
          )}
        </>
      );
    }
    default:
      return <Input id={id} value={(value as string | undefined) ?? ''} onChange={(e) => onChange(e.target.value)} disabled={disabled} />;
  }
}

/** The selected block's settings (its traits), labelled so each input is found by its label. */
export function SettingsPanel({ component, lists, readOnly }: { component: Component | null; lists: SourceLists; readOnly?: boolean }) {
  const { t, locale } = usePageDesignerText();
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!component) return;
    const bump = () => setVersion((v) => v + 1);
    component.on('change', bump);
    return () => {
      component.off('change', bump);
    };
  }, [component]);

  const block = blockOf(component);
  if (!component) return <Typography.Paragraph type="secondary">{t('nothingSelected')}</Typography.Paragraph>;
  if (!block) return <Typography.Paragraph type="secondary">{t('notABlock')}</Typography.Paragraph>;
  return (
    <Form layout="vertical" size="small" className="sy-page-designer__settings" data-testid="block-settings" data-block-type={block.type}>
      <Typography.Title level={5} style={{ marginTop: 0 }}>
        {block.label[locale]}
      </Typography.Title>
      {block.settings.map((setting) => (
        <Form.Item key={setting.name} label={setting.label[locale]} htmlFor={inputId(setting.name)} required={setting.required}>
          <SettingInput setting={setting} value={component.get(settingProp(setting.name))} onChange={(value) => component.set(settingProp(setting.name), value)} lists={lists} disabled={readOnly} />
        </Form.Item>
      ))}
      {!readOnly && (
        <Button danger icon={<DeleteOutlined />} onClick={() => component.remove()} block>
          {t('remove')}
        </Button>
      )}
    </Form>
  );
}
