import { useTranslation } from '@shuiyun/web-kit';
import { Button, Result } from 'antd';
import { useNavigate } from 'react-router-dom';

export function NotFound({ title }: { title?: string }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  return (
    <Result
      status="404"
      title={title ?? t('notFound')}
      extra={
        <Button type="primary" onClick={() => navigate('/')}>
          {t('backHome')}
        </Button>
      }
    />
  );
}
