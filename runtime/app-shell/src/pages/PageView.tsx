import { CompressOutlined, ExpandOutlined } from '@ant-design/icons';
import { api, ApiError, type AppPage, useTranslation } from '@shuiyun/web-kit';
import { BlockError, mountPage } from '@shuiyun/web-kit/blocks';
import { Button, Spin, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useNavigate, useParams } from 'react-router-dom';
import { localizedLanguage } from '../language.js';
import { NotFound } from './NotFound.js';

type Loaded = { status: 'loading' } | { status: 'done'; page: AppPage } | { status: 'missing' } | { status: 'error'; error: unknown };

/** `/app/p/<route>`: a published page's HTML and scoped CSS with its blocks mounted; dashboards go full screen. */
export function PageView() {
  // Routes may have segments (`ops/water-balance`).
  const route = useParams()['*'] ?? '';
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [loaded, setLoaded] = useState<Loaded>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const [fullscreen, setFullscreen] = useState(false);
  const frame = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setLoaded({ status: 'loading' });
    api
      .get<AppPage>(`/api/app/pages/${encodeURIComponent(route)}`, undefined, controller.signal)
      .then((page) => setLoaded({ status: 'done', page }))
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setLoaded(error instanceof ApiError && error.status === 404 ? { status: 'missing' } : { status: 'error', error });
      });
    return () => controller.abort();
  }, [route, generation]);

  const page = loaded.status === 'done' ? loaded.page : null;
  const dashboard = page?.kind === 'dashboard';
  useEffect(() => {
    if (!page || !canvas.current) return;
    return mountPage(canvas.current, { html: page.html ?? '', css: page.css ?? '' }, { dark: dashboard, navigate: (path) => navigate(path), appBase: '/app' });
  }, [page, dashboard, navigate]);

  useEffect(() => {
    const update = () => setFullscreen(document.fullscreenElement !== null && document.fullscreenElement === frame.current);
    document.addEventListener('fullscreenchange', update);
    return () => document.removeEventListener('fullscreenchange', update);
  }, []);

  if (loaded.status === 'missing') return <NotFound title={t('pageMissing')} />;
  if (loaded.status === 'error') return <BlockError error={loaded.error} onRetry={() => setGeneration((g) => g + 1)} />;
  if (!page) {
    return (
      <div className="sy-shell__loading">
        <Spin />
      </div>
    );
  }
  const lang = localizedLanguage(i18n.language);
  const title = page.title?.[lang] || page.title?.['zh-CN'] || page.route;
  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void frame.current?.requestFullscreen?.();
  };

  return (
    <div ref={frame} className={`sy-app-page${dashboard ? ' sy-dashboard' : ''}${fullscreen ? ' is-fullscreen' : ''}`} data-testid="app-page" data-route={page.route} data-kind={page.kind}>
      <div className="sy-app-page__head">
        <Typography.Title level={dashboard ? 3 : 4} className="sy-app-page__title">
          {title}
        </Typography.Title>
        {dashboard && (
          <Button icon={fullscreen ? <CompressOutlined /> : <ExpandOutlined />} onClick={toggleFullscreen} data-testid="fullscreen-button" ghost={dashboard}>
            {fullscreen ? t('exitFullscreen') : t('fullscreen')}
          </Button>
        )}
      </div>
      <div ref={canvas} className="sy-app-page__canvas" />
    </div>
  );
}

export default PageView;
