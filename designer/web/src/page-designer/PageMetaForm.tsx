import type { PageContent } from '@shuiyun/web-kit';
import { Form, Input, InputNumber, Switch } from 'antd';
import { usePageDesignerText } from './words.js';

const ROUTE = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\/[a-z0-9]+(?:-[a-z0-9]+)*)*$/;

/** What the app shell needs besides the canvas: kind, route, titles, menu entry. */
export function PageMetaForm({ value, onChange, readOnly }: { value: PageContent; onChange: (value: PageContent) => void; readOnly?: boolean }) {
  const { t } = usePageDesignerText();
  const routeBad = value.route !== '' && !ROUTE.test(value.route);
  const set = (patch: Partial<PageContent>) => onChange({ ...value, ...patch });
  return (
    <Form layout="inline" size="small" className="sy-page-designer__meta" disabled={readOnly}>
      <Form.Item label={t('kind')} htmlFor="sy-page-kind">
        <select
          id="sy-page-kind"
          data-testid="page-kind"
          className="sy-page-designer__native-select"
          value={value.kind}
          disabled={readOnly}
          onChange={(e) => set({ kind: e.target.value === 'dashboard' ? 'dashboard' : 'page' })}
        >
          <option value="page">{t('kinds.page')}</option>
          <option value="dashboard">{t('kinds.dashboard')}</option>
        </select>
      </Form.Item>
      <Form.Item label={t('route')} htmlFor="sy-page-route" validateStatus={routeBad ? 'error' : undefined} help={routeBad ? t('routeInvalid') : undefined} tooltip={t('routeHint')}>
        <Input id="sy-page-route" data-testid="page-route" value={value.route} addonBefore="/app/p/" onChange={(e) => set({ route: e.target.value.trim() })} style={{ width: 240 }} />
      </Form.Item>
      <Form.Item label={t('titleZh')} htmlFor="sy-page-title-zh">
        <Input id="sy-page-title-zh" data-testid="page-title-zh" value={value.title?.['zh-CN'] ?? ''} onChange={(e) => set({ title: { ...value.title, 'zh-CN': e.target.value } })} style={{ width: 180 }} />
      </Form.Item>
      <Form.Item label={t('titleEn')} htmlFor="sy-page-title-en">
        <Input id="sy-page-title-en" data-testid="page-title-en" value={value.title?.en ?? ''} onChange={(e) => set({ title: { ...value.title, en: e.target.value } })} style={{ width: 180 }} />
      </Form.Item>
      <Form.Item label={t('menuShow')} htmlFor="sy-page-menu-show">
        <Switch id="sy-page-menu-show" data-testid="page-menu-show" checked={value.menu?.show !== false} onChange={(show) => set({ menu: { ...value.menu, show } })} />
      </Form.Item>
      <Form.Item label={t('menuOrder')} htmlFor="sy-page-menu-order">
        <InputNumber id="sy-page-menu-order" data-testid="page-menu-order" value={value.menu?.order ?? 0} onChange={(order) => set({ menu: { ...value.menu, order: Number(order ?? 0) } })} style={{ width: 90 }} />
      </Form.Item>
    </Form>
  );
}
