import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Select, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from './api.js';
import { changeLanguage, LANGUAGES, type Language } from './i18n.js';
import { useSession } from './session.js';

/** The sign-in page of both web apps. */
export function SignIn({ title }: { title?: string }) {
  const { t, i18n } = useTranslation('kit');
  const { signIn } = useSession();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (values: { username: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      await signIn(values.username, values.password);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : t('unknownError'));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="sy-sign-in">
      <Card style={{ width: 360 }}>
        <Typography.Title level={3}>{title ?? t('signInTitle')}</Typography.Title>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="sign-in-error" />}
        <Form layout="vertical" onFinish={submit} requiredMark={false}>
          <Form.Item name="username" label={t('username')} rules={[{ required: true, message: t('usernameRequired') }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus name="username" />
          </Form.Item>
          <Form.Item name="password" label={t('password')} rules={[{ required: true, message: t('passwordRequired') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" name="password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy}>
            {t('signIn')}
          </Button>
        </Form>
        <Space style={{ marginTop: 16 }}>
          <LanguageSwitch value={i18n.language as Language} />
        </Space>
      </Card>
    </div>
  );
}

export function LanguageSwitch({ value }: { value: Language }) {
  return (
    <Select
      size="small"
      value={value}
      style={{ width: 110 }}
      onChange={(lng: Language) => void changeLanguage(lng)}
      options={LANGUAGES.map((lng) => ({ value: lng, label: lng === 'zh-CN' ? '简体中文' : 'English' }))}
      aria-label="language"
    />
  );
}
