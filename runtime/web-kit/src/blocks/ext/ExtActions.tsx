import { Alert, App, Button, DatePicker, Form, Input, InputNumber, Modal, Space, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { useRef, useState } from 'react';
import { ApiError } from '../../api.js';
import { localized, useBlockText } from '../words.js';
import { actionApplies, errorsByField, fillPath, valueAt, type ExtAction, type ExtActionField } from './config.js';
import { parseMoney } from './money.js';
import { sendExt, type ExtRow } from './ext-api.js';
import { useExtText } from './ext-words.js';
import { publishSelection } from './selection.js';
import type { Rule } from 'antd/es/form';

/** A failed call: the API's message and each detail's message (or just `details`, those not shown elsewhere), closable. */
export function ActionError({ error, details: only, onClose }: { error: unknown; details?: string[]; onClose?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  const details = (only ?? (error instanceof ApiError ? error.details.map((d) => d.message) : [])).filter((d) => d && d !== message);
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      closable={!!onClose}
      onClose={onClose}
      message={message}
      description={details.length ? <ul className="sy-block-error__details">{details.map((d, i) => <li key={i}>{d}</li>)}</ul> : undefined}
      style={{ marginBottom: 12 }}
      data-testid="ext-action-error"
    />
  );
}

/** A form value as the body carries it: months and dates as text, numbers as numbers when exact, money as fen text. */
function bodyValue(field: ExtActionField, value: unknown): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (field.kind === 'money') {
    const parsed = parseMoney(value);
    return parsed.ok ? parsed.fen : undefined;
  }
  if ((field.kind === 'month' || field.kind === 'date') && typeof (value as Dayjs).format === 'function') return (value as Dayjs).format(field.kind === 'month' ? 'YYYY-MM' : 'YYYY-MM-DD');
  if (field.kind === 'number' && typeof value === 'string') return String(Number(value)) === value ? Number(value) : value;
  return typeof value === 'string' ? value.trim() : value;
}

/**
 * Sends pack actions: fills the path from `values` (a row, or a toolbar form), confirms first when
 * the action asks to, shows a message and reloads the table after; one action at a time.
 */
export function useExtActions(reload: () => void) {
  const { t, locale } = useBlockText();
  const { message, modal } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const sending = useRef(false);

  /**
   * Throws what the API answered; the body is the action's `body`, the row's `rowBody` keys, and
   * `formValues` (an action's form) less the path's placeholders.
   */
  const send = async (action: ExtAction, values: ExtRow, key: string, formValues?: ExtRow) => {
    if (sending.current) return;
    const target = fillPath(action.path, values);
    if (!target) throw new Error(t('ext.noAction', { path: action.path }));
    const fromRow = Object.fromEntries(Object.entries(action.rowBody ?? {}).flatMap(([k, from]) => (valueAt(values, from) === undefined ? [] : [[k, valueAt(values, from)]])));
    const fromForm = Object.fromEntries(Object.entries(formValues ?? {}).filter(([k, v]) => v !== undefined && !target.used.includes(k)));
    sending.current = true;
    setBusy(key);
    try {
      await sendExt(action.method, target.path, { ...(action.body ?? {}), ...fromRow, ...fromForm });
      void message.success(t('ext.done'));
      reload();
    } finally {
      sending.current = false;
      setBusy(null);
    }
  };

  /** A row action or a toolbar action without a form: errors land in the block's alert. */
  const run = (action: ExtAction, values: ExtRow, key: string) => {
    const go = () => {
      setError(null);
      return send(action, values, key).catch(setError);
    };
    if (action.confirm) modal.confirm({ title: localized(action.confirm, locale), okText: t('ext.confirm'), cancelText: t('cancel'), onOk: go });
    else void go();
  };

  return { busy, error, clearError: () => setError(null), send, run };
}

export type ExtActions = ReturnType<typeof useExtActions>;

/**
 * The modal form of an action (a toolbar's or a row's): its values become the call's body, the path's
 * placeholders come from the row (row actions) or the form (toolbar); the pack's refusals land under
 * their fields. One per table, opened for whichever action asks.
 */
export function useActionDialog(runner: ExtActions) {
  const { t, tx, locale } = useExtText();
  const [open, setOpen] = useState<{ action: ExtAction; key: string; row: ExtRow } | null>(null);
  const [problem, setProblem] = useState<{ error: unknown; rest?: string[] } | null>(null);
  const [form] = Form.useForm<ExtRow>();

  const submit = async () => {
    if (!open) return;
    const fields = open.action.form ?? [];
    let raw: ExtRow;
    try {
      raw = await form.validateFields();
    } catch {
      return;
    }
    const values = Object.fromEntries(fields.map((f) => [f.key, bodyValue(f, raw[f.key])]));
    setProblem(null);
    try {
      await runner.send(open.action, { ...open.row, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) }, open.key, values);
      setOpen(null);
    } catch (error) {
      const details = error instanceof ApiError ? error.details : [];
      const placed = errorsByField(details, fields.map((f) => f.key));
      form.setFields(Object.entries(placed.fields).map(([name, errors]) => ({ name, errors })));
      const anyPlaced = Object.keys(placed.fields).length > 0;
      if (!anyPlaced || placed.rest.length) setProblem({ error, rest: anyPlaced ? placed.rest : undefined });
    }
  };

  const show = (action: ExtAction, key: string, row: ExtRow = {}) => {
    form.resetFields();
    setProblem(null);
    setOpen({ action, key, row });
  };

  const element = (
    <Modal
      open={open !== null}
      title={open ? localized(open.action.label, locale) : undefined}
      onCancel={() => setOpen(null)}
      onOk={() => void submit()}
      okText={t('submit')}
      cancelText={t('cancel')}
      confirmLoading={open !== null && runner.busy === open.key}
      forceRender
    >
      {open?.action.confirm && <Typography.Paragraph>{localized(open.action.confirm, locale)}</Typography.Paragraph>}
      {problem !== null && <ActionError error={problem.error} details={problem.rest} />}
      <Form form={form} layout="vertical" onFinish={() => void submit()}>
        {(open?.action.form ?? []).map((field) => {
          const label = localized(field.label, locale) || field.key;
          // A rule with any key beside `required` (even `whitespace: false`) is checked as a string by
          // async-validator, which a month or date (a Dayjs) then fails: only text gets `whitespace`.
          const textual = field.kind !== 'month' && field.kind !== 'date' && field.kind !== 'number';
          const rules: Rule[] = field.required ? [{ required: true, ...(textual ? { whitespace: true } : {}), message: t('ext.required', { name: label }) }] : [];
          if (field.kind === 'money') {
            rules.push({
              validator: (_, v: unknown) => {
                if (v === undefined || v === null || String(v).trim() === '') return Promise.resolve();
                const parsed = parseMoney(v);
                return parsed.ok ? Promise.resolve() : Promise.reject(new Error(tx(`money.${parsed.problem}`)));
              },
            });
          }
          const control =
            field.kind === 'money' ? <Input inputMode="decimal" autoComplete="off" prefix="¥" suffix={tx('money.unit')} aria-label={label} />
            : field.kind === 'month' ? <DatePicker picker="month" style={{ width: '100%' }} aria-label={label} />
            : field.kind === 'date' ? <DatePicker style={{ width: '100%' }} aria-label={label} />
            : field.kind === 'number' ? <InputNumber stringMode style={{ width: '100%' }} aria-label={label} />
            : field.kind === 'textarea' ? <Input.TextArea autoSize={{ minRows: 2, maxRows: 6 }} aria-label={label} />
            : <Input aria-label={label} />;
          return (
            <Form.Item key={field.key} name={field.key} label={label} rules={rules} data-testid={`ext-action-field-${field.key}`}>
              {control}
            </Form.Item>
          );
        })}
      </Form>
    </Modal>
  );

  return { open: show, element };
}

export type ActionDialog = ReturnType<typeof useActionDialog>;

/**
 * The row's actions that apply to it (`when`), as links: a call to the pack (after its form, when it has
 * one), or — a `select` action — the row picked as the page's selection for the tables that follow it.
 */
export function RowActions({ actions, row, rowKey, runner, dialog }: { actions: ExtAction[]; row: ExtRow; rowKey: string; runner: ExtActions; dialog: ActionDialog }) {
  const { locale } = useBlockText();
  const shown = actions.map((action, i) => ({ action, key: `${rowKey}:${i}` })).filter(({ action }) => actionApplies(action, row));
  if (!shown.length) return <>—</>;
  const click = (action: ExtAction, key: string) => {
    if (action.select) publishSelection(action.select, row);
    else if (action.form) dialog.open(action, key, row);
    else runner.run(action, row, key);
  };
  return (
    <Space size="small" wrap>
      {shown.map(({ action, key }) => (
        <Button key={key} size="small" type="link" loading={runner.busy === key} disabled={runner.busy !== null} onClick={() => click(action, key)} data-testid="ext-row-action">
          {localized(action.label, locale)}
        </Button>
      ))}
    </Space>
  );
}

/** The toolbar's buttons; one with a form opens it in the table's modal, whose values become the call's body. */
export function Toolbar({ actions, runner, dialog }: { actions: ExtAction[]; runner: ExtActions; dialog: ActionDialog }) {
  const { locale } = useBlockText();
  if (!actions.length) return null;
  return (
    <>
      {actions.map((action, i) => {
        const key = `toolbar:${i}`;
        const click = () => (action.form ? dialog.open(action, key, {}) : runner.run(action, {}, key));
        return (
          <Button key={key} type={i === 0 ? 'primary' : 'default'} loading={runner.busy === key} disabled={runner.busy !== null} onClick={click} data-testid="ext-toolbar-action">
            {localized(action.label, locale)}
          </Button>
        );
      })}
    </>
  );
}
