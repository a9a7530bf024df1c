export interface DeployIssue {
  /** The offending element's id; the definitions id (or `definitions`) for file-level problems. */
  elementId: string;
  reason: string;
}

/** Thrown by compileDefinition; lists every problem found, each with its element id. */
export class DeployError extends Error {
  override readonly name = 'DeployError';
  readonly issues: DeployIssue[];

  constructor(issues: DeployIssue[]) {
    const summary = issues
      .slice(0, 5)
      .map((issue) => `${issue.elementId}: ${issue.reason}`)
      .join('; ');
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    super(`BPMN deployment rejected: ${summary}${more}`);
    this.issues = issues;
  }
}
