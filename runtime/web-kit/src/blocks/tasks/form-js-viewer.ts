import { Form } from '@bpmn-io/form-js';
import '@bpmn-io/form-js/dist/assets/form-js.css';

/** A form-js viewer over a task's schema and variables; loaded only when a task form opens. */
export interface TaskFormViewer {
  submit(): { data: Record<string, unknown>; errors: Record<string, unknown> };
  /** Shows the server's errors (by field key) on their fields. */
  showErrors(byKey: Record<string, string>): void;
  destroy(): void;
}

export async function openFormViewer(container: HTMLElement, schema: Record<string, unknown>, data: Record<string, unknown>): Promise<TaskFormViewer> {
  const form = new Form({ container });
  await form.importSchema(schema as never, data);
  return {
    submit: () => form.submit() as { data: Record<string, unknown>; errors: Record<string, unknown> },
    showErrors(byKey) {
      const registry = form.get<{ getAll(): { id: string; key?: string; path?: string }[] }>('formFieldRegistry');
      const errors: Record<string, string[]> = {};
      for (const field of registry.getAll()) {
        const key = field.key ?? field.path;
        const message = key === undefined ? undefined : byKey[key];
        if (message) errors[field.id] = [message];
      }
      form._setState({ errors });
    },
    destroy: () => form.destroy(),
  };
}
