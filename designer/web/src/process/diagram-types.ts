/** The few diagram-js / bpmn-js shapes the designer's own modules touch. */

export interface ModdleElement {
  $type: string;
  $parent?: ModdleElement;
  id?: string;
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  [key: string]: unknown;
}

export interface DiagramElement {
  id: string;
  type: string;
  businessObject: ModdleElement;
  labelTarget?: DiagramElement;
  waypoints?: unknown;
}

export interface EventBus {
  on(event: string | string[], callback: (event: Record<string, unknown>) => unknown): void;
  on(event: string | string[], priority: number, callback: (event: Record<string, unknown>) => unknown): void;
  off(event: string | string[], callback: (event: Record<string, unknown>) => unknown): void;
  fire(event: string, data?: Record<string, unknown>): unknown;
}

export interface ElementTemplate {
  id: string;
  name?: string;
  description?: string;
  version?: number;
  appliesTo?: string[];
  elementType?: { value?: string };
  category?: { id: string; name: string };
  icon?: { contents?: string };
  keywords?: string[];
  deprecated?: unknown;
}

export interface ElementTemplates {
  getLatest(elementOrTemplateId?: unknown, options?: Record<string, unknown>): ElementTemplate[];
  get(element: DiagramElement): ElementTemplate | null;
  applyTemplate(element: DiagramElement, template: ElementTemplate, options?: Record<string, unknown>): DiagramElement;
  createElement(template: ElementTemplate): DiagramElement;
  set(templates: unknown[]): void;
}

export interface PopupMenuEntry {
  label?: string;
  description?: string;
  className?: string;
  imageUrl?: string;
  group?: { id: string; name: string };
  search?: string[];
  action: (event: Event, entry: unknown) => void;
}

export interface PopupMenu {
  registerProvider(id: string, priority: number, provider: unknown): void;
  registerProvider(id: string, provider: unknown): void;
  open(target: unknown, providerId: string, position: { x: number; y: number; cursor?: { x: number; y: number } }, options?: Record<string, unknown>): void;
  isEmpty(target: unknown, providerId: string): boolean;
}

export type Translate = (template: string, replacements?: Record<string, string>) => string;
