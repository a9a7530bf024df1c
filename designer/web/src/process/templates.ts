import { is } from 'bpmn-js/lib/util/ModelUtil';
import type { DiagramElement, ElementTemplate, ElementTemplates, PopupMenu, PopupMenuEntry, Translate } from './diagram-types.js';

/**
 * Element templates in the menus a consultant already uses: the replace menu (the wrench) offers
 * the templates that apply to the element, and the context pad has 追加模板 (append from template),
 * which creates a templated task after the element. So "发送通知" is picked, never a typed job type.
 */

const GROUP = { id: 'shuiyun-templates', name: 'Templates' };

const iconOf = (template: ElementTemplate) => template.icon?.contents;

function isActive(template: ElementTemplate) {
  return !template.deprecated;
}

function TemplateReplaceMenu(
  this: { getPopupMenuEntries(element: DiagramElement): Record<string, PopupMenuEntry> },
  popupMenu: PopupMenu,
  elementTemplates: ElementTemplates,
  modeling: { updateLabel(element: DiagramElement, text: string): void },
  translate: Translate,
) {
  /** A task without a name takes the template's ("发送通知"). */
  const nameAfter = (element: DiagramElement | undefined, template: ElementTemplate) => {
    if (element && template.name && !element.businessObject.get('name')) modeling.updateLabel(element, template.name);
  };
  this.getPopupMenuEntries = (element) => {
    const applied = elementTemplates.get(element);
    const entries: Record<string, PopupMenuEntry> = {};
    for (const template of elementTemplates.getLatest(element).filter(isActive)) {
      if (applied?.id === template.id) continue;
      entries[`replace-with-template-${template.id}`] = {
        label: template.name ? translate(template.name) : template.id,
        ...(template.description ? { description: translate(template.description) } : {}),
        ...(iconOf(template) ? { imageUrl: iconOf(template)! } : { className: 'bpmn-icon-service-task' }),
        group: { ...GROUP, name: translate(GROUP.name) },
        search: template.keywords ?? [],
        action: () => {
          const applied = elementTemplates.applyTemplate(element, template);
          nameAfter(applied, template);
        },
      };
    }
    return entries;
  };
  popupMenu.registerProvider('bpmn-replace', 900, this);
}
TemplateReplaceMenu.$inject = ['popupMenu', 'elementTemplates', 'modeling', 'translate'];

interface Services {
  contextPad: { registerProvider(priority: number, provider: unknown): void };
  popupMenu: PopupMenu;
  elementTemplates: ElementTemplates;
  autoPlace: { append(source: DiagramElement, shape: DiagramElement): DiagramElement } | null;
  selection: { select(element: DiagramElement): void };
  translate: Translate;
}

/** Templates that can follow an element in the flow: activities and events, not lanes or data. */
function appendable(template: ElementTemplate) {
  const types = [template.elementType?.value, ...(template.appliesTo ?? [])].filter(Boolean) as string[];
  return types.some((type) => /^bpmn:(Task|ServiceTask|SendTask|UserTask|ScriptTask|BusinessRuleTask|ReceiveTask|CallActivity|IntermediateThrowEvent|IntermediateCatchEvent|EndEvent)$/.test(type));
}

function TemplateAppendMenu(
  this: {
    getContextPadEntries(element: DiagramElement): Record<string, unknown>;
    getPopupMenuEntries(element: DiagramElement): Record<string, PopupMenuEntry>;
  },
  contextPad: Services['contextPad'],
  popupMenu: PopupMenu,
  elementTemplates: ElementTemplates,
  injector: { get(name: string, strict?: boolean): unknown },
  translate: Translate,
) {
  const autoPlace = injector.get('autoPlace', false) as Services['autoPlace'];
  const selection = injector.get('selection') as Services['selection'];

  const templates = () => elementTemplates.getLatest().filter((t) => isActive(t) && appendable(t));

  this.getContextPadEntries = (element) => {
    const bo = element.businessObject;
    const canAppend =
      !element.labelTarget &&
      !element.waypoints &&
      is(bo, 'bpmn:FlowNode') &&
      !is(bo, 'bpmn:EndEvent') &&
      !(is(bo, 'bpmn:IntermediateThrowEvent') && Boolean(bo.get('eventDefinitions') && (bo.get('eventDefinitions') as { $type: string }[]).some((d) => d.$type === 'bpmn:LinkEventDefinition')));
    if (!canAppend || templates().length === 0) return {};
    return {
      'append.template': {
        group: 'model',
        className: 'bpmn-icon-service-task sy-append-template',
        title: translate('Append from template'),
        action: {
          click: (event: MouseEvent, target: DiagramElement) => {
            // Under the context pad, as the replace menu opens.
            const pad = (event.target as HTMLElement | null)?.closest('.djs-context-pad')?.getBoundingClientRect();
            const position = pad ? { x: pad.left, y: pad.bottom + 5 } : { x: event.clientX, y: event.clientY };
            popupMenu.open(target, 'shuiyun-append-template', { ...position, cursor: { x: event.clientX, y: event.clientY } }, { title: translate('Append from template'), search: true, width: 320 });
          },
        },
      },
    };
  };

  this.getPopupMenuEntries = (source) => {
    const entries: Record<string, PopupMenuEntry> = {};
    for (const template of templates()) {
      entries[`append-template-${template.id}`] = {
        label: template.name ? translate(template.name) : template.id,
        ...(template.description ? { description: translate(template.description) } : {}),
        ...(iconOf(template) ? { imageUrl: iconOf(template)! } : { className: 'bpmn-icon-service-task' }),
        search: template.keywords ?? [],
        action: () => {
          const shape = elementTemplates.createElement(template);
          // A new step is called what it does ("发送通知") until the consultant names it.
          if (template.name && !shape.businessObject.get('name')) shape.businessObject.set('name', template.name);
          if (!autoPlace) return;
          const placed = autoPlace.append(source, shape);
          selection.select(placed);
        },
      };
    }
    return entries;
  };
  contextPad.registerProvider(400, this);
  popupMenu.registerProvider('shuiyun-append-template', this);
}
TemplateAppendMenu.$inject = ['contextPad', 'popupMenu', 'elementTemplates', 'injector', 'translate'];

export const TemplateMenusModule = {
  __init__: ['shuiyunTemplateReplaceMenu', 'shuiyunTemplateAppendMenu'],
  shuiyunTemplateReplaceMenu: ['type', TemplateReplaceMenu],
  shuiyunTemplateAppendMenu: ['type', TemplateAppendMenu],
};
