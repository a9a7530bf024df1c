import { api } from '../../api.js';
import type { Page } from '../../artifacts.js';

/** A user task as `/api/tasks` lists it (the workflow_user_tasks row). */
export interface UserTask {
  id: number;
  tenantId: number;
  instanceId: number;
  key: string;
  elementId: string;
  processId: string;
  name: string | null;
  assignee: string | null;
  candidateGroups: string[];
  candidateUsers: string[];
  formId: string | null;
  dueDate: string | null;
  variables: Record<string, unknown>;
  state: 'created' | 'completed' | 'canceled';
  createdAt: string;
}

/** `GET /api/tasks/:id`: the task with its form-js schema (null: a task without a form). */
export interface TaskWithForm extends UserTask {
  form: { formId: string; version: number; schema: Record<string, unknown> } | null;
}

export function listTasks(query: { page: number; pageSize: number; scope?: 'mine' | 'candidate' }, signal?: AbortSignal): Promise<Page<UserTask>> {
  return api.get<Page<UserTask>>('/api/tasks', { scope: query.scope ?? 'candidate', state: 'created', page: query.page, pageSize: query.pageSize }, signal);
}

export function loadTask(id: number, signal?: AbortSignal): Promise<TaskWithForm> {
  return api.get<TaskWithForm>(`/api/tasks/${id}`, undefined, signal);
}

export function claimTask(id: number): Promise<UserTask> {
  return api.post<UserTask>(`/api/tasks/${id}/claim`);
}

export function completeTask(id: number, variables: Record<string, unknown>): Promise<UserTask> {
  return api.post<UserTask>(`/api/tasks/${id}/complete`, { variables });
}
