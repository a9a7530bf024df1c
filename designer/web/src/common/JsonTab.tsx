import { useTranslation } from '@shuiyun/web-kit';
import { Alert, Input, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';

/** The content as JSON: every change that parses to an object is applied; otherwise the error shows. */
export function JsonTab({ value, onChange, readOnly }: { value: unknown; onChange(value: Record<string, unknown>): void; readOnly: boolean }) {
  const { t } = useTranslation();
  const formatted = JSON.stringify(value, null, 2);
  const [text, setText] = useState(formatted);
  const [error, setError] = useState<string | null>(null);
  const lastApplied = useRef(formatted);

  // Changes made elsewhere (the structured editor, a reload) replace the text unless it has an error.
  useEffect(() => {
    if (formatted !== lastApplied.current && error === null) {
      lastApplied.current = formatted;
      setText(formatted);
    }
  }, [formatted, error]);

  const edit = (next: string) => {
    setText(next);
    try {
      const parsed = JSON.parse(next) as unknown;
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(t('json.notObject'));
      setError(null);
      lastApplied.current = JSON.stringify(parsed, null, 2);
      onChange(parsed as Record<string, unknown>);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <div className="sy-json-tab">
      <Typography.Paragraph type="secondary">{t('json.help')}</Typography.Paragraph>
      {error && <Alert type="error" showIcon message={t('json.invalid', { error })} style={{ marginBottom: 8 }} data-testid="json-error" />}
      <Input.TextArea className="sy-mono" value={text} readOnly={readOnly} onChange={(e) => edit(e.target.value)} autoSize={{ minRows: 20 }} spellCheck={false} data-testid="json-editor" />
    </div>
  );
}
