import { BLOCK_CATALOGUE, type BlockDescription } from '@shuiyun/web-kit/blocks';
import type { Component, Editor } from 'grapesjs';

/** GrapesJS component type of each Shuiyun block: `sy-chart`, `sy-kpi`, … */
export const componentType = (type: string) => `sy-${type}`;

/** Settings live on the component as `sy_<name>` properties (its traits) and, joined, in `data-sy-config`. */
export const settingProp = (name: string) => `sy_${name}`;

const ICONS: Record<string, string> = {
  chart: '<path d="M4 20V10h3v10H4zm6 0V4h3v16h-3zm6 0v-7h3v7h-3z"/>',
  kpi: '<path d="M3 5h18v14H3V5zm2 2v10h14V7H5zm2 7h2v2H7v-2zm4-4h2v6h-2v-6zm4-2h2v8h-2V8z"/>',
  table: '<path d="M3 4h18v16H3V4zm2 2v3h14V6H5zm0 5v3h6v-3H5zm8 0v3h6v-3h-6zm-8 5v2h6v-2H5zm8 0v2h6v-2h-6z"/>',
  'entity-form': '<path d="M4 3h16v18H4V3zm2 2v14h12V5H6zm2 2h8v2H8V7zm0 4h8v2H8v-2zm0 4h5v2H8v-2z"/>',
  'task-list': '<path d="M4 5h2v2H4V5zm4 0h12v2H8V5zm-4 6h2v2H4v-2zm4 0h12v2H8v-2zm-4 6h2v2H4v-2zm4 0h12v2H8v-2z"/>',
  'process-start': '<path d="M12 2a10 10 0 110 20 10 10 0 010-20zm-2 6v8l6-4-6-4z"/>',
  'device-map': '<path d="M12 2a7 7 0 017 7c0 5-7 13-7 13S5 14 5 9a7 7 0 017-7zm0 4a3 3 0 100 6 3 3 0 000-6z"/>',
  report: '<path d="M6 2h9l5 5v15H6V2zm8 1.5V8h4.5L14 3.5zM8 12h8v2H8v-2zm0 4h8v2H8v-2z"/>',
  'ext-table': '<path d="M3 4h18v16H3V4zm2 2v3h14V6H5zm0 5v7h14v-7H5zm2 2h4v2H7v-2zm6 0h4v2h-4v-2z"/><circle cx="18" cy="18" r="4"/>',
  'ext-form': '<path d="M4 3h16v12h-2V5H6v14h8v2H4V3zm4 4h8v2H8V7zm0 4h6v2H8v-2zm10 4l4 3-4 3v-2h-4v-2h4v-2z"/>',
};

const media = (type: string) => `<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor">${ICONS[type] ?? ''}</svg>`;

function readConfig(component: Component): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(String(component.getAttributes()['data-sy-config'] ?? '{}'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The block's config from its setting properties, without empty settings. */
export function configOf(component: Component, block: BlockDescription): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const setting of block.settings) {
    const value: unknown = component.get(settingProp(setting.name));
    if (value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    config[setting.name] = value;
  }
  return config;
}

export function blockOf(component: Component | null | undefined): BlockDescription | undefined {
  const type = component?.get('type') as string | undefined;
  return BLOCK_CATALOGUE.find((b) => componentType(b.type) === type);
}

/** Labels in the canvas only (never in the page's CSS): what each placeholder will show. */
export function canvasCss(label: (type: string) => string): string {
  const rules = BLOCK_CATALOGUE.map(
    (b) => `[data-sy-block="${b.type}"]::before { content: "${label(b.type).replace(/"/g, '')}  " attr(data-sy-config); }`,
  ).join('\n');
  return `
    [data-sy-block] { min-height: 72px; padding: 10px 12px; margin: 6px 0; border: 1px dashed #1677ff; border-radius: 6px; background: rgba(22, 119, 255, 0.05); color: #1d39c4; font: 13px/1.5 system-ui, sans-serif; overflow: hidden; word-break: break-all; }
    [data-sy-block]::before { display: block; }
    .sy-row:empty, .sy-col:empty { min-height: 60px; outline: 1px dashed #bfbfbf; }
    ${rules}
  `;
}

/**
 * Registers a component type per Shuiyun block (its settings as traits, kept in `data-sy-config`), the
 * palette entries of the 水云 category, and a few layout pieces.
 */
export function registerShuiyunBlocks(editor: Editor, text: { category: string; layout: string; label: (type: string) => string; twoColumns: string; threeColumns: string; heading: string; text: string; headingContent: string; textContent: string }) {
  for (const block of BLOCK_CATALOGUE) {
    const props = block.settings.map((s) => settingProp(s.name));
    editor.Components.addType(componentType(block.type), {
      isComponent: (el) => (el?.getAttribute?.('data-sy-block') === block.type ? { type: componentType(block.type) } : false),
      model: {
        defaults: {
          tagName: 'div',
          name: text.label(block.type),
          droppable: false,
          editable: false,
          attributes: { 'data-sy-block': block.type, 'data-sy-config': JSON.stringify(block.defaults) },
          traits: block.settings.map((s) => ({
            type: s.kind === 'checkbox' ? 'checkbox' : s.kind === 'number' ? 'number' : s.kind === 'select' && s.options ? 'select' : 'text',
            name: settingProp(s.name),
            label: s.label['zh-CN'],
            changeProp: true,
            ...(s.options ? { options: s.options.map((o) => ({ id: o.value, label: o.label['zh-CN'] })) } : {}),
          })),
        },
        init(this: Component) {
          const config = readConfig(this);
          for (const setting of block.settings) if (config[setting.name] !== undefined) this.set(settingProp(setting.name), config[setting.name], { silent: true });
          this.on(props.map((p) => `change:${p}`).join(' '), () => {
            this.addAttributes({ 'data-sy-config': JSON.stringify(configOf(this, block)) });
          });
        },
      },
    });
    editor.Blocks.add(componentType(block.type), {
      label: text.label(block.type),
      category: text.category,
      media: media(block.type),
      content: { type: componentType(block.type) },
      attributes: { 'data-testid': `block-palette-${block.type}` },
    });
  }

  const row = (columns: number) => ({
    tagName: 'div',
    classes: ['sy-row'],
    components: Array.from({ length: columns }, () => ({ tagName: 'div', classes: ['sy-col'] })),
    styles: '.sy-row { display: flex; flex-wrap: wrap; gap: 12px; } .sy-col { flex: 1 1 280px; min-width: 0; }',
  });
  editor.Blocks.add('sy-layout-2', { label: text.twoColumns, category: text.layout, content: row(2), media: '<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor"><path d="M3 4h8v16H3V4zm10 0h8v16h-8V4z"/></svg>' });
  editor.Blocks.add('sy-layout-3', { label: text.threeColumns, category: text.layout, content: row(3), media: '<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor"><path d="M2 4h6v16H2V4zm7 0h6v16H9V4zm7 0h6v16h-6V4z"/></svg>' });
  editor.Blocks.add('sy-heading', { label: text.heading, category: text.layout, content: { type: 'text', tagName: 'h2', content: text.headingContent }, media: '<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor"><path d="M5 4h3v7h8V4h3v16h-3v-6H8v6H5V4z"/></svg>' });
  editor.Blocks.add('sy-text', { label: text.text, category: text.layout, content: { type: 'text', tagName: 'p', content: text.textContent }, media: '<svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor"><path d="M4 5h16v2H4V5zm0 4h16v2H4V9zm0 4h16v2H4v-2zm0 4h10v2H4v-2z"/></svg>' });
}
