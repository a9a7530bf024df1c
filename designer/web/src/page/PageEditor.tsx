import { useTranslation, type PageContent } from '@shuiyun/web-kit';
import { Alert, Col, Collapse, Form, Input, InputNumber, Radio, Result, Row, Spin, Switch } from 'antd';
import { lazy, Suspense, useMemo, type ComponentType } from 'react';
import type { KindEditorProps } from '../editor/types.js';
import { fieldOf } from '../lib/errors.js';

interface PageDesignerProps {
  value: PageContent;
  onChange(value: PageContent): void;
  readOnly?: boolean;
}

// The GrapesJS page designer lives in ./page-designer (built separately); a glob import keeps this
// editor building while that module is not there yet, and picks it up as its own chunk once it is.
const designerModules = import.meta.glob<{ PageDesigner: ComponentType<PageDesignerProps> }>('../page-designer/PageDesigner.tsx');
const loadDesigner = designerModules['../page-designer/PageDesigner.tsx'];
const PageDesigner = loadDesigner ? lazy(() => loadDesigner().then((m) => ({ default: m.PageDesigner }))) : null;

/** As the runtime checks a page's route. */
export const ROUTE_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

function withDefaults(value: Partial<PageContent>, code: string, name: string): PageContent {
  return {
    ...value,
    kind: value.kind === 'dashboard' ? 'dashboard' : 'page',
    route: value.route ?? code.replace(/_/g, '-'),
    title: { 'zh-CN': value.title?.['zh-CN'] ?? name, en: value.title?.en ?? name },
    menu: { show: value.menu?.show ?? true, order: value.menu?.order ?? 100, ...(value.menu?.icon ? { icon: value.menu.icon } : {}) },
    html: value.html ?? '',
    css: value.css ?? '',
  };
}

/** 页面与大屏: the page's settings (kind, route, titles, menu) and the GrapesJS designer for its body. */
export default function PageEditor({ artifact, value, onChange, readOnly, errors }: KindEditorProps<PageContent>) {
  const { t } = useTranslation();
  const page = useMemo(() => withDefaults(value, artifact.code, artifact.name), [value, artifact.code, artifact.name]);
  const set = (patch: Partial<PageContent>) => onChange({ ...page, ...patch });
  const errorOf = (field: string) => errors.filter((e) => fieldOf(e)?.replace(/^content\./, '').startsWith(field)).map((e) => e.message);
  const routeErrors = [...(page.route && !ROUTE_PATTERN.test(page.route) ? [t('page.routePattern')] : []), ...errorOf('route')];
  const titleErrors = [...(!page.title['zh-CN'].trim() ? [t('page.titleRequired')] : []), ...errorOf('title.zh-CN')];
  const titleEnErrors = [...(!page.title.en.trim() ? [t('page.titleEnRequired')] : []), ...errorOf('title.en')];

  if (PageDesigner) {
    // The page designer has its own settings row (kind, route, titles, menu) above the canvas.
    return (
      <div className="sy-page-editor">
        <div className="sy-page-canvas">
          <Suspense
            fallback={
              <div className="sy-center">
                <Spin size="large" />
              </div>
            }
          >
            <PageDesigner value={page} onChange={onChange} readOnly={readOnly} />
          </Suspense>
        </div>
      </div>
    );
  }

  return (
    <div className="sy-page-editor">
      <Collapse
        size="small"
        defaultActiveKey={['settings']}
        className="sy-page-settings"
        items={[
          {
            key: 'settings',
            label: t('page.settings'),
            children: (
              <Form layout="vertical" size="small" disabled={readOnly} data-testid="page-settings">
                <Row gutter={16}>
                  <Col span={4}>
                    <Form.Item label={t('page.kind')}>
                      <Radio.Group value={page.kind} onChange={(e) => set({ kind: e.target.value as PageContent['kind'] })} optionType="button" data-testid="page-kind">
                        <Radio.Button value="page">{t('page.kindPage')}</Radio.Button>
                        <Radio.Button value="dashboard">{t('page.kindDashboard')}</Radio.Button>
                      </Radio.Group>
                    </Form.Item>
                  </Col>
                  <Col span={5}>
                    <Form.Item label={t('page.route')} validateStatus={routeErrors.length ? 'error' : undefined} help={routeErrors.join('；') || t('page.routeHelp', { route: page.route || '…' })}>
                      <Input addonBefore="/app/p/" value={page.route} onChange={(e) => set({ route: e.target.value.trim() })} data-testid="page-route" />
                    </Form.Item>
                  </Col>
                  <Col span={5}>
                    <Form.Item label={t('page.titleZh')} validateStatus={titleErrors.length ? 'error' : undefined} help={titleErrors.join('；') || undefined}>
                      <Input value={page.title['zh-CN']} onChange={(e) => set({ title: { ...page.title, 'zh-CN': e.target.value } })} data-testid="page-title-zh" />
                    </Form.Item>
                  </Col>
                  <Col span={4}>
                    <Form.Item label={t('page.titleEn')} validateStatus={titleEnErrors.length ? 'error' : undefined} help={titleEnErrors.join('；') || undefined}>
                      <Input value={page.title.en} onChange={(e) => set({ title: { ...page.title, en: e.target.value } })} data-testid="page-title-en" />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    <Form.Item label={t('page.menuShow')}>
                      <Switch checked={page.menu.show} onChange={(show) => set({ menu: { ...page.menu, show } })} data-testid="page-menu-show" />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    <Form.Item label={t('page.menuOrder')}>
                      <InputNumber value={page.menu.order} min={0} max={10000} onChange={(order) => set({ menu: { ...page.menu, order: order ?? 0 } })} style={{ width: '100%' }} />
                    </Form.Item>
                  </Col>
                  <Col span={2}>
                    <Form.Item label={t('page.menuIcon')}>
                      <Input
                        value={page.menu.icon ?? ''}
                        placeholder="home"
                        onChange={(e) => {
                          const icon = e.target.value.trim();
                          const { icon: _old, ...menu } = page.menu;
                          set({ menu: icon ? { ...menu, icon } : menu });
                        }}
                      />
                    </Form.Item>
                  </Col>
                </Row>
              </Form>
            ),
          },
        ]}
      />
      <div className="sy-page-canvas">
        <Result status="info" title={t('page.designerMissing')} subTitle={t('page.designerMissingHelp')}>
          {page.html && <Alert type="info" message={t('page.htmlKept', { length: page.html.length })} />}
        </Result>
      </div>
    </div>
  );
}
