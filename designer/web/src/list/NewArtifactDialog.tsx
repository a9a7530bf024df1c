import { useTranslation, type ArtifactKind } from '@shuiyun/web-kit';
import { Alert, Form, Input, Modal, Select } from 'antd';
import { useState } from 'react';
import { designApi } from '../lib/design-api.js';
import { formFieldErrors } from '../lib/errors.js';
import { ARTIFACT_KINDS, CODE_PATTERN } from '../lib/kinds.js';

interface Values {
  kind: ArtifactKind;
  code: string;
  name: string;
}

/** 新建: kind (when the list shows every kind), code and name; the API's refusals shown on the fields. */
export function NewArtifactDialog({ open, kind, onClose, onCreated }: { open: boolean; kind: ArtifactKind | null; onClose(): void; onCreated(kind: ArtifactKind, id: number): void }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<Values>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async () => {
    let values: Values;
    try {
      values = await form.validateFields();
    } catch {
      return;
    }
    const chosen = kind ?? values.kind;
    setBusy(true);
    setError(null);
    try {
      const created = await designApi.create({ kind: chosen, code: values.code.trim(), name: values.name.trim() });
      form.resetFields();
      onCreated(chosen, created.id);
    } catch (e) {
      const { fields, rest } = formFieldErrors(e, ['kind', 'code', 'name']);
      form.setFields(fields as { name: keyof Values; errors: string[] }[]);
      setError(rest.length > 0 ? rest.join('；') : null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open={open}
      title={kind ? t('new.titleKind', { kind: t(`kinds.${kind}`) }) : t('new.title')}
      okText={t('new.create')}
      cancelText={t('kit:cancel')}
      onOk={() => void submit()}
      onCancel={onClose}
      confirmLoading={busy}
      okButtonProps={{ 'data-testid': 'artifact-new-submit' }}
      destroyOnHidden
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="artifact-new-error" />}
      <Form form={form} layout="vertical" initialValues={{ kind: 'process' }} onFinish={() => void submit()}>
        {!kind && (
          <Form.Item name="kind" label={t('new.kind')} rules={[{ required: true }]}>
            <Select data-testid="artifact-new-kind" options={ARTIFACT_KINDS.map((k) => ({ value: k, label: t(`kinds.${k}`) }))} />
          </Form.Item>
        )}
        <Form.Item
          name="code"
          label={t('new.code')}
          extra={t('new.codeHelp')}
          rules={[
            { required: true, message: t('new.codeRequired') },
            { pattern: CODE_PATTERN, message: t('new.codePattern') },
          ]}
        >
          <Input data-testid="artifact-new-code" autoFocus autoComplete="off" placeholder="meter_repair" />
        </Form.Item>
        <Form.Item name="name" label={t('new.name')} rules={[{ required: true, whitespace: true, message: t('new.nameRequired') }, { max: 200 }]}>
          <Input data-testid="artifact-new-name" autoComplete="off" onPressEnter={() => void submit()} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
