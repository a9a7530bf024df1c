import type { Artifact, ArtifactContent, ErrorDetail } from '@shuiyun/web-kit';

/** A request to show one publish error in the editor (select the BPMN element, the field …). */
export interface FocusRequest {
  detail: ErrorDetail;
  /** Grows with each click, so the same error can be shown twice. */
  seq: number;
}

/** What the editor frame gives each kind's editor. */
export interface KindEditorProps<C = ArtifactContent> {
  artifact: Artifact;
  value: C;
  onChange(value: C): void;
  readOnly: boolean;
  /** The errors of the last refused publish. */
  errors: ErrorDetail[];
  focus: FocusRequest | null;
}
