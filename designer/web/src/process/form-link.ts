import { SelectEntry, isSelectEntryEdited } from '@bpmn-io/properties-panel';
import { createElement as h } from '@bpmn-io/properties-panel/preact';
import { is } from 'bpmn-js/lib/util/ModelUtil';
import { useService } from 'bpmn-js-properties-panel';
import type { DiagramElement, ModdleElement, Translate } from './diagram-types.js';

/** The forms a user task may link to: the tenant's form artifacts (their code is the form id). */
export interface FormCatalogue {
  forms: { code: string; name: string; published: boolean }[];
}

interface Injector {
  get(name: string, strict?: boolean): unknown;
}
interface BpmnFactory {
  create(type: string, attrs?: Record<string, unknown>): ModdleElement;
}
interface CommandStack {
  execute(command: string, context: unknown): void;
}

const ENTRY_ID = 'shuiyunLinkedForm';

function extensionValues(bo: ModdleElement): ModdleElement[] {
  const extensionElements = bo.get('extensionElements') as ModdleElement | undefined;
  return (extensionElements?.get('values') as ModdleElement[] | undefined) ?? [];
}

function formDefinitionOf(element: DiagramElement): ModdleElement | undefined {
  return extensionValues(element.businessObject).find((value) => is(value, 'zeebe:FormDefinition'));
}

/** Links the user task to a form by id (`zeebe:formDefinition formId`), or unlinks it. */
function linkForm(injector: Injector, element: DiagramElement, formId: string) {
  const bpmnFactory = injector.get('bpmnFactory') as BpmnFactory;
  const commandStack = injector.get('commandStack') as CommandStack;
  const bo = element.businessObject;
  const commands: unknown[] = [];
  const update = (moddleElement: ModdleElement, properties: Record<string, unknown>) => commands.push({ cmd: 'element.updateModdleProperties', context: { element, moddleElement, properties } });

  let extensionElements = bo.get('extensionElements') as ModdleElement | undefined;
  let definition = formDefinitionOf(element);
  if (!formId) {
    if (!definition || !extensionElements) return;
    update(extensionElements, { values: extensionValues(bo).filter((value) => value !== definition) });
  } else {
    if (!extensionElements) {
      extensionElements = bpmnFactory.create('bpmn:ExtensionElements', { values: [] });
      extensionElements.$parent = bo;
      update(bo, { extensionElements });
    }
    if (!definition) {
      definition = bpmnFactory.create('zeebe:FormDefinition', { formId });
      definition.$parent = extensionElements;
      update(extensionElements, { values: [...((extensionElements.get('values') as ModdleElement[]) ?? []), definition] });
    } else {
      update(definition, { formId, formKey: undefined, externalReference: undefined });
    }
  }
  commandStack.execute('properties-panel.multi-command-executor', commands);
}

function LinkedFormEntry(props: { element: DiagramElement; id: string }) {
  const { element, id } = props;
  const translate = useService('translate') as Translate;
  const injector = useService('injector') as Injector;
  const catalogue = useService('config.shuiyunForms') as FormCatalogue | null;
  const debounce = useService('debounceInput');
  const current = (formDefinitionOf(element)?.get('formId') as string | undefined) ?? '';
  const getOptions = () => {
    const forms = catalogue?.forms ?? [];
    const options = [{ value: '', label: translate('<none>') }, ...forms.map((f) => ({ value: f.code, label: `${f.name} (${f.code})${f.published ? '' : ' · ' + translate('unpublished')}` }))];
    if (current && !forms.some((f) => f.code === current)) options.push({ value: current, label: `${current} · ${translate('not found')}` });
    return options;
  };
  return h(SelectEntry, {
    element,
    id,
    label: translate('Task form'),
    description: translate('The form the assignee fills in (a form of this tenant, by code).'),
    getValue: () => current,
    setValue: (value: string) => linkForm(injector, element, value),
    getOptions,
    debounce,
  });
}

/** 任务表单: a group for user tasks that links a designer form, next to the Zeebe form group. */
function LinkedFormProvider(this: { getGroups(element: DiagramElement): (groups: { id: string }[]) => unknown[] }, propertiesPanel: { registerProvider(priority: number, provider: unknown): void }, translate: Translate) {
  this.getGroups = (element) => (groups) => {
    if (!is(element, 'bpmn:UserTask')) return groups;
    const group = {
      id: 'shuiyun-linked-form',
      label: translate('Task form'),
      entries: [{ id: ENTRY_ID, element, component: LinkedFormEntry, isEdited: isSelectEntryEdited }],
    };
    const general = groups.findIndex((g) => g.id === 'general');
    const next = [...groups];
    next.splice(general >= 0 ? general + 1 : 0, 0, group);
    return next;
  };
  propertiesPanel.registerProvider(400, this);
}
LinkedFormProvider.$inject = ['propertiesPanel', 'translate'];

export const LinkedFormModule = {
  __init__: ['shuiyunLinkedFormProvider'],
  shuiyunLinkedFormProvider: ['type', LinkedFormProvider],
};
