import { ARTIFACT_KINDS, type ArtifactKind } from '@shuiyun/web-kit';

export { ARTIFACT_KINDS };
export type { ArtifactKind };

export function isKind(value: string | undefined): value is ArtifactKind {
  return value !== undefined && (ARTIFACT_KINDS as string[]).includes(value);
}

/** Codes as the runtime accepts them. */
export const CODE_PATTERN = /^[a-z][a-z0-9_-]{1,63}$/;

export const PERMISSIONS = {
  read: 'design:read',
  write: 'design:write',
  publish: 'design:publish',
} as const;
