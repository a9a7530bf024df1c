import 'grapesjs/dist/css/grapes.min.css';
import '@shuiyun/web-kit/styles.css';
import './page-designer.css';
import { DesktopOutlined, EyeOutlined, EditOutlined, MobileOutlined, RedoOutlined, UndoOutlined } from '@ant-design/icons';
import type { PageContent } from '@shuiyun/web-kit';
import { BLOCK_CATALOGUE, mountPage } from '@shuiyun/web-kit/blocks';
import { Alert, Button, Segmented, Space, Tabs, Tooltip } from 'antd';
import grapesjs, { type Component, type Editor, type ProjectData } from 'grapesjs';
import { useEffect, useRef, useState, type JSX } from 'react';
import { canvasCss, componentType, registerShuiyunBlocks } from './block-types.js';
import { PageMetaForm } from './PageMetaForm.js';
import { useSourceLists } from './setting-sources.js';
import { SettingsPanel } from './SettingsPanel.js';
import { usePageDesignerText } from './words.js';

export interface PageDesignerProps {
  value: PageContent;
  onChange(value: PageContent): void;
  readOnly?: boolean;
  /**
   * Show the page's settings form (kind, route, titles, menu) above the canvas. By default it shows
   * unless the screen around already has one (the designer's page editor does), so test ids stay unique.
   */
  settings?: boolean;
}

/** Whether a settings form for the page is already on screen (outside this designer). */
const hostHasSettings = () => typeof document !== 'undefined' && document.querySelector('[data-testid="page-route"], [data-testid="page-settings"]') !== null;

/** How long edits on the canvas gather before the page's project, HTML and CSS are handed on. */
const SAVE_DELAY_MS = 500;

/** What the canvas holds now: GrapesJS project data, and the HTML and CSS the app shell renders. */
function snapshot(editor: Editor): Pick<PageContent, 'project' | 'html' | 'css'> {
  return {
    project: editor.getProjectData() as unknown as Record<string, unknown>,
    html: editor.getWrapper()?.getInnerHTML() ?? '',
    css: editor.getCss({ avoidProtected: true }) ?? '',
  };
}

/**
 * 页面设计器: a GrapesJS canvas with the Shuiyun blocks (图表, 指标卡, 数据表, 实体表单, 待办列表, 发起流程, 设备地图,
 * 报表), each set up in the settings panel; the page's kind, route, titles and menu entry above it; and a
 * preview that renders the page with live data through the same blocks the app shell mounts.
 */
export function PageDesigner({ value, onChange, readOnly = false, settings }: PageDesignerProps): JSX.Element {
  const { t, locale } = usePageDesignerText();
  const lists = useSourceLists();
  const editorBox = useRef<HTMLDivElement>(null);
  const blocksBox = useRef<HTMLDivElement>(null);
  const stylesBox = useRef<HTMLDivElement>(null);
  const layersBox = useRef<HTMLDivElement>(null);
  const previewBox = useRef<HTMLDivElement>(null);
  const editorRef = useRef<Editor | null>(null);
  const latest = useRef(value);
  latest.current = value;
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  const lastProject = useRef<string>(JSON.stringify(value.project ?? null));
  const [selected, setSelected] = useState<Component | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [device, setDevice] = useState<'desktop' | 'mobile'>('desktop');
  const [showSettings] = useState(() => settings ?? !hostHasSettings());

  useEffect(() => {
    const label = (type: string) => BLOCK_CATALOGUE.find((b) => b.type === type)?.label[locale] ?? type;
    const initial = latest.current;
    const editor = grapesjs.init({
      container: editorBox.current!,
      height: '100%',
      width: 'auto',
      storageManager: false,
      // No icon font from a CDN: the runtime may have no internet, and its CSP allows only its own styles.
      cssIcons: '',
      // No usage reports to GrapesJS's servers: a utility's network is closed, and its data stays in-house.
      telemetry: false,
      panels: { defaults: [] },
      blockManager: { appendTo: blocksBox.current! },
      styleManager: { appendTo: stylesBox.current! },
      layerManager: { appendTo: layersBox.current! },
      deviceManager: {
        devices: [
          { id: 'desktop', name: 'PC', width: '' },
          { id: 'mobile', name: 'Mobile', width: '375px', widthMedia: '767px' },
        ],
      },
      canvasCss: canvasCss(label),
      ...(initial.project ? { projectData: initial.project as unknown as ProjectData } : { components: initial.html || '', style: initial.css || '' }),
      plugins: [
        (ed: Editor) =>
          registerShuiyunBlocks(ed, {
            category: t('category'),
            layout: t('layout'),
            label,
            twoColumns: t('twoColumns'),
            threeColumns: t('threeColumns'),
            heading: t('heading'),
            text: t('text'),
            headingContent: t('headingContent'),
            textContent: t('textContent'),
          }),
      ],
    });
    editorRef.current = editor;

    let timer: ReturnType<typeof setTimeout> | null = null;
    const emit = () => {
      timer = null;
      if (readOnlyRef.current) return;
      const next = snapshot(editor);
      const current = latest.current;
      const project = JSON.stringify(next.project);
      if (project === JSON.stringify(current.project ?? null) && next.html === current.html && next.css === current.css) return;
      lastProject.current = project;
      onChangeRef.current({ ...current, ...next });
    };
    const schedule = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(emit, SAVE_DELAY_MS);
    };
    editor.on('update', schedule);
    editor.on('component:toggled', () => setSelected(editor.getSelected() ?? null));
    editor.on('component:remove', () => setSelected(editor.getSelected() ?? null));
    return () => {
      if (timer) {
        clearTimeout(timer);
        emit();
      }
      editorRef.current = null;
      editor.destroy();
    };
    // The editor lives as long as the component; later values reach it through `latest`.
  }, []);

  // A project replaced from outside (another revision loaded) reloads the canvas; our own echo does not.
  useEffect(() => {
    const editor = editorRef.current;
    if (!editor || !value.project) return;
    const incoming = JSON.stringify(value.project);
    if (incoming === lastProject.current) return;
    lastProject.current = incoming;
    editor.loadProjectData(value.project as unknown as ProjectData);
  }, [value.project]);

  useEffect(() => {
    editorRef.current?.setDevice(device);
  }, [device]);

  useEffect(() => {
    const editor = editorRef.current;
    if (!previewing || !editor || !previewBox.current) return;
    const { html, css } = snapshot(editor);
    return mountPage(previewBox.current, { html: html ?? '', css: css ?? '' }, { preview: true, dark: latest.current.kind === 'dashboard' });
  }, [previewing]);

  const insert = (type: string) => {
    const editor = editorRef.current;
    if (!editor || readOnly) return;
    const current = editor.getSelected();
    const target = current && current.getClasses().includes('sy-col') ? current : editor.getWrapper();
    const added = target?.append({ type: componentType(type) });
    const component = Array.isArray(added) ? added[0] : added;
    if (component) editor.select(component);
  };

  return (
    <div className={`sy-page-designer${readOnly ? ' is-read-only' : ''}`} data-testid="page-designer">
      {showSettings && <PageMetaForm value={value} onChange={onChange} readOnly={readOnly} />}
      <div className="sy-page-designer__toolbar">
        <Space>
          <Segmented
            size="small"
            value={device}
            onChange={(d) => setDevice(d as 'desktop' | 'mobile')}
            options={[
              { value: 'desktop', icon: <DesktopOutlined />, label: 'PC' },
              { value: 'mobile', icon: <MobileOutlined />, label: locale === 'en' ? 'Mobile' : '手机' },
            ]}
            disabled={previewing}
          />
          {!readOnly && (
            <>
              <Tooltip title={t('undo')}>
                <Button size="small" icon={<UndoOutlined />} onClick={() => editorRef.current?.UndoManager.undo()} aria-label={t('undo')} disabled={previewing} />
              </Tooltip>
              <Tooltip title={t('redo')}>
                <Button size="small" icon={<RedoOutlined />} onClick={() => editorRef.current?.UndoManager.redo()} aria-label={t('redo')} disabled={previewing} />
              </Tooltip>
            </>
          )}
        </Space>
        <Button size="small" type={previewing ? 'primary' : 'default'} icon={previewing ? <EditOutlined /> : <EyeOutlined />} onClick={() => setPreviewing((p) => !p)} data-testid="page-preview-toggle" aria-pressed={previewing}>
          {previewing ? t('edit') : t('preview')}
        </Button>
      </div>
      <div className="sy-page-designer__body">
        <aside className="sy-page-designer__left" hidden={readOnly || previewing}>
          <div className="sy-page-designer__section-title">{t('insert')}</div>
          <div className="sy-page-designer__insert" data-testid="block-insert-list">
            {BLOCK_CATALOGUE.map((block) => (
              <Button key={block.type} size="small" block onClick={() => insert(block.type)} data-testid={`add-block-${block.type}`}>
                {block.label[locale]}
              </Button>
            ))}
          </div>
          <div className="sy-page-designer__section-title">{t('blocks')}</div>
          <div ref={blocksBox} className="sy-page-designer__blocks" data-testid="block-manager" />
        </aside>
        <main className="sy-page-designer__main">
          <div ref={editorBox} className="sy-page-designer__canvas" hidden={previewing} />
          {previewing && (
            <div className="sy-page-designer__preview">
              <Alert type="info" showIcon message={t('previewHint')} style={{ marginBottom: 12 }} />
              <div ref={previewBox} className={value.kind === 'dashboard' ? 'sy-dashboard sy-page-designer__preview-page' : 'sy-page-designer__preview-page'} data-testid="page-preview" />
            </div>
          )}
        </main>
        <aside className="sy-page-designer__right" hidden={previewing}>
          <Tabs
            size="small"
            items={[
              { key: 'settings', label: t('settings'), forceRender: true, children: <SettingsPanel component={selected} lists={lists} readOnly={readOnly} /> },
              { key: 'styles', label: t('styles'), forceRender: true, children: <div ref={stylesBox} className="sy-page-designer__styles" /> },
              { key: 'layers', label: t('layers'), forceRender: true, children: <div ref={layersBox} className="sy-page-designer__layers" /> },
            ]}
          />
        </aside>
      </div>
    </div>
  );
}

export default PageDesigner;
