import '@bpmn-io/element-template-chooser/dist/element-template-chooser.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';
import 'bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css';
import 'bpmn-js-element-templates/dist/assets/element-templates.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/diagram-js.css';
import './process.css';

import { DownloadOutlined, ExpandOutlined, RedoOutlined, UndoOutlined, UploadOutlined, ZoomInOutlined, ZoomOutOutlined } from '@ant-design/icons';
import ElementTemplateChooserModule from '@bpmn-io/element-template-chooser';
import { useTranslation, type ProcessContent } from '@shuiyun/web-kit';
import { Alert, App, Button, Divider, Space, Tooltip } from 'antd';
import BpmnModeler from 'bpmn-js/lib/Modeler';
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import lintModule from 'bpmn-js-bpmnlint';
import { CloudElementTemplatesPropertiesProviderModule } from 'bpmn-js-element-templates';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ZeebePropertiesProviderModule, ZeebeTooltipProvider } from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { useEffect, useRef, useState } from 'react';
import type { KindEditorProps } from '../editor/types.js';
import { designApi } from '../lib/design-api.js';
import { messageOf } from '../lib/errors.js';
import type { DiagramElement, ElementTemplates } from './diagram-types.js';
import { LinkedFormModule, type FormCatalogue } from './form-link.js';
import { lintConfig } from './lint.js';
import { TemplateMenusModule } from './templates.js';
import { translateModule } from './translate.js';

type Viewer = BpmnModeler | NavigatedViewer;

interface Services {
  canvas: {
    zoom(scale?: number | 'fit-viewport', center?: 'auto' | { x: number; y: number }): number;
    addMarker(element: string, marker: string): void;
    removeMarker(element: string, marker: string): void;
    scrollToElement(element: DiagramElement, padding?: number): void;
  };
  overlays: { add(element: string, type: string, overlay: { position: Record<string, number>; html: HTMLElement }): string; remove(filter: { type: string }): void };
  elementRegistry: { get(id: string): DiagramElement | undefined };
  selection: { select(element: DiagramElement): void };
  commandStack: { undo(): void; redo(): void; canUndo(): boolean; canRedo(): boolean };
  elementTemplates: ElementTemplates;
  eventBus: { on(event: string, callback: (event: { trigger?: string }) => void): void };
}

function service<K extends keyof Services>(viewer: Viewer, name: K): Services[K] {
  return viewer.get(name) as Services[K];
}

const escapeXml = (text: string) => text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** A diagram with one start event whose process id is the artifact's code (the server sends one too). */
function blankDiagram(code: string, name: string) {
  const id = /^[A-Za-z_][\w.-]*$/.test(code) ? code : `Process_${code.replace(/\W/g, '_')}`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_${id}" targetNamespace="http://bpmn.io/schema/bpmn" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${escapeXml(id)}" name="${escapeXml(name)}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${escapeXml(id)}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="180" y="160" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

/**
 * 流程设计: bpmn-js with the Zeebe properties panel, Camunda 8 behaviours, the runtime's job workers as
 * element templates, inline bpmnlint (recommended + Camunda 8.6), a task-form picker, and the
 * publish errors of the runtime marked on their elements.
 */
export default function ProcessEditor({ artifact, value, onChange, readOnly, errors, focus }: KindEditorProps<ProcessContent>) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const canvasRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const viewerRef = useRef<Viewer | null>(null);
  const lastXml = useRef<string | null>(null);
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const catalogue = useRef<FormCatalogue>({ forms: [] });
  const [ready, setReady] = useState(false);
  const [importError, setImportError] = useState<string | null>(null);
  const [history, setHistory] = useState({ undo: false, redo: false });
  const fileRef = useRef<HTMLInputElement>(null);

  const importXml = async (xml: string) => {
    const viewer = viewerRef.current;
    if (!viewer) return false;
    try {
      const { warnings } = await viewer.importXML(xml);
      if (warnings.length > 0) console.warn('bpmn import warnings', warnings);
      setImportError(null);
      const canvas = service(viewer, 'canvas');
      const scale = canvas.zoom('fit-viewport', 'auto');
      if (scale > 1) canvas.zoom(1, 'auto');
      return true;
    } catch (e) {
      setImportError(messageOf(e, t('process.importFailed')));
      return false;
    }
  };

  const emit = async () => {
    const viewer = viewerRef.current;
    if (!viewer) return;
    const { xml } = await viewer.saveXML({ format: true });
    if (xml === undefined || viewerRef.current !== viewer) return;
    lastXml.current = xml;
    onChangeRef.current({ ...value, xml });
  };
  const emitRef = useRef(emit);
  emitRef.current = emit;

  useEffect(() => {
    const container = canvasRef.current!;
    const language = i18n.language;
    const viewer: Viewer = readOnly
      ? new NavigatedViewer({ container, moddleExtensions: { zeebe: zeebeModdle }, additionalModules: [translateModule(language)] })
      : new BpmnModeler({
          container,
          propertiesPanel: { parent: panelRef.current!, tooltip: ZeebeTooltipProvider },
          additionalModules: [
            BpmnPropertiesPanelModule,
            BpmnPropertiesProviderModule,
            ZeebePropertiesProviderModule,
            CloudElementTemplatesPropertiesProviderModule,
            ElementTemplateChooserModule,
            ZeebeBehaviorsModule,
            lintModule,
            TemplateMenusModule,
            LinkedFormModule,
            translateModule(language),
          ],
          moddleExtensions: { zeebe: zeebeModdle },
          linting: { bpmnlint: lintConfig, active: true },
          elementTemplates: [],
          shuiyunForms: catalogue.current,
        } as ConstructorParameters<typeof BpmnModeler>[0]);
    viewerRef.current = viewer;

    if (!readOnly) {
      service(viewer, 'eventBus').on('commandStack.changed', (event) => {
        const stack = service(viewer, 'commandStack');
        setHistory({ undo: stack.canUndo(), redo: stack.canRedo() });
        // An import clears the stack: that is not a change of the draft.
        if (event.trigger === 'clear') return;
        void emitRef.current();
      });
      designApi
        .elementTemplates()
        .then((templates) => {
          if (viewerRef.current === viewer) service(viewer, 'elementTemplates').set(templates);
        })
        .catch((e: unknown) => message.warning(t('process.templatesFailed', { reason: messageOf(e, '') })));
      designApi
        .list({ kind: 'form', pageSize: 200 })
        .then((page) => {
          catalogue.current.forms = page.items.map((f) => ({ code: f.code, name: f.name, published: f.publishedVersion !== null }));
        })
        .catch(() => undefined);
    }

    const xml = value.xml?.trim() ? value.xml : blankDiagram(artifact.code, artifact.name);
    lastXml.current = value.xml;
    void importXml(xml).then(() => setReady(true));
    return () => {
      viewerRef.current = null;
      viewer.destroy();
    };
    // The viewer is made once per mount (the frame remounts it on a language change).
  }, []);

  // A draft replaced from outside (reload after a conflict, roll back): show it.
  useEffect(() => {
    if (!ready || value.xml === lastXml.current) return;
    lastXml.current = value.xml;
    void importXml(value.xml);
  }, [value.xml, ready]);

  // Publish errors: a red marker and the message on each element the runtime named.
  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer || !ready) return;
    const canvas = service(viewer, 'canvas');
    const overlays = service(viewer, 'overlays');
    const registry = service(viewer, 'elementRegistry');
    const byElement = new Map<string, string[]>();
    for (const detail of errors) if (detail.elementId && registry.get(detail.elementId)) byElement.set(detail.elementId, [...(byElement.get(detail.elementId) ?? []), detail.message]);
    for (const [id, messages] of byElement) {
      canvas.addMarker(id, 'sy-publish-error');
      const html = document.createElement('div');
      html.className = 'sy-publish-error-overlay';
      html.setAttribute('data-testid', 'publish-error-overlay');
      html.setAttribute('data-element-id', id);
      html.textContent = messages.join('\n');
      overlays.add(id, 'sy-publish-error', { position: { bottom: -6, left: -10 }, html });
    }
    const first = [...byElement.keys()][0];
    const element = first ? registry.get(first) : undefined;
    if (element && viewer instanceof BpmnModeler) service(viewer, 'selection').select(element);
    return () => {
      overlays.remove({ type: 'sy-publish-error' });
      for (const id of byElement.keys()) if (registry.get(id)) canvas.removeMarker(id, 'sy-publish-error');
    };
  }, [errors, ready]);

  // A click on an error in the list: select and show its element.
  useEffect(() => {
    const viewer = viewerRef.current;
    if (!viewer || !ready || !focus?.detail.elementId) return;
    const element = service(viewer, 'elementRegistry').get(focus.detail.elementId);
    if (!element) return;
    if (viewer instanceof BpmnModeler) service(viewer, 'selection').select(element);
    service(viewer, 'canvas').scrollToElement(element, 120);
  }, [focus, ready]);

  const zoom = (delta: number | 'fit') => {
    const viewer = viewerRef.current;
    if (!viewer) return;
    const canvas = service(viewer, 'canvas');
    if (delta === 'fit') canvas.zoom('fit-viewport', 'auto');
    else canvas.zoom(Math.min(4, Math.max(0.2, canvas.zoom() + delta)));
  };

  const download = async () => {
    const viewer = viewerRef.current;
    if (!viewer) return;
    const { xml } = await viewer.saveXML({ format: true });
    if (!xml) return;
    const url = URL.createObjectURL(new Blob([xml], { type: 'application/xml' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = `${artifact.code}.bpmn`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  const upload = async (file: File) => {
    const text = await file.text();
    if (await importXml(text)) {
      await emit();
      message.success(t('process.imported', { name: file.name }));
    }
  };

  const stack = () => (viewerRef.current ? service(viewerRef.current, 'commandStack') : null);

  return (
    <div className="sy-process">
      <div className="sy-process-toolbar">
        <Space size={4} split={<Divider type="vertical" />}>
          {!readOnly && (
            <Space size={2}>
              <Tooltip title={t('process.undo')}>
                <Button size="small" type="text" icon={<UndoOutlined />} disabled={!history.undo} onClick={() => stack()?.undo()} data-testid="modeler-undo" />
              </Tooltip>
              <Tooltip title={t('process.redo')}>
                <Button size="small" type="text" icon={<RedoOutlined />} disabled={!history.redo} onClick={() => stack()?.redo()} data-testid="modeler-redo" />
              </Tooltip>
            </Space>
          )}
          <Space size={2}>
            <Tooltip title={t('process.zoomIn')}>
              <Button size="small" type="text" icon={<ZoomInOutlined />} onClick={() => zoom(0.2)} />
            </Tooltip>
            <Tooltip title={t('process.zoomOut')}>
              <Button size="small" type="text" icon={<ZoomOutOutlined />} onClick={() => zoom(-0.2)} />
            </Tooltip>
            <Tooltip title={t('process.fit')}>
              <Button size="small" type="text" icon={<ExpandOutlined />} onClick={() => zoom('fit')} />
            </Tooltip>
          </Space>
          <Space size={2}>
            <Tooltip title={t('process.download')}>
              <Button size="small" type="text" icon={<DownloadOutlined />} onClick={() => void download()} data-testid="modeler-download" />
            </Tooltip>
            {!readOnly && (
              <Tooltip title={t('process.upload')}>
                <Button size="small" type="text" icon={<UploadOutlined />} onClick={() => fileRef.current?.click()} data-testid="modeler-upload" />
              </Tooltip>
            )}
          </Space>
        </Space>
        <span className="sy-process-hint">{readOnly ? t('process.readOnlyHint') : t('process.hint')}</span>
        <input
          ref={fileRef}
          type="file"
          accept=".bpmn,.xml"
          hidden
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) void upload(file);
          }}
        />
      </div>
      {importError && <Alert type="error" showIcon banner message={t('process.importFailed')} description={importError} />}
      <div className="sy-process-main">
        <div className="sy-process-canvas" ref={canvasRef} data-testid="modeler-canvas" />
        <div className="sy-process-panel" ref={panelRef} data-testid="properties-panel" hidden={readOnly} />
      </div>
    </div>
  );
}
