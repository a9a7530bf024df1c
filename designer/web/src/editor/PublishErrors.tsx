import { AimOutlined, CloseOutlined } from '@ant-design/icons';
import { useTranslation, type ErrorDetail } from '@shuiyun/web-kit';
import { Alert, Button, List, Typography } from 'antd';

/** The errors of a refused publish; a click shows the element or field in the editor. */
export function PublishErrors({ errors, message, onFocus, onClose }: { errors: ErrorDetail[]; message: string | null; onFocus(detail: ErrorDetail): void; onClose(): void }) {
  const { t } = useTranslation();
  return (
    <div className="sy-publish-errors" data-testid="publish-errors">
      <Alert
        type="error"
        showIcon
        message={message || t('publish.failed')}
        description={
          <List
            size="small"
            dataSource={errors}
            renderItem={(detail, i) => (
              <List.Item
                key={i}
                data-testid="publish-error"
                data-element-id={detail.elementId}
                actions={
                  detail.elementId || detail.path
                    ? [
                        <Button key="show" size="small" type="link" icon={<AimOutlined />} onClick={() => onFocus(detail)}>
                          {t('publish.show')}
                        </Button>,
                      ]
                    : []
                }
              >
                <span>
                  {detail.elementId && <Typography.Text code>{detail.elementId}</Typography.Text>}
                  {!detail.elementId && detail.path && <Typography.Text code>{detail.path}</Typography.Text>} {detail.message}
                </span>
              </List.Item>
            )}
          />
        }
        action={<Button size="small" type="text" icon={<CloseOutlined />} onClick={onClose} aria-label={t('publish.closeErrors')} />}
      />
    </div>
  );
}
