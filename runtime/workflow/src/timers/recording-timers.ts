/**
 * The `timers` object handed to bpmn-engine. bpmn-elements calls `register(owner).setTimeout`
 * whenever a timer event definition starts waiting; instead of scheduling anything we record
 * the registration, so a step never leaves a real timeout behind. The shell persists the due
 * time and later sends a 'timer' event, and the step fires the recorded callback.
 *
 * Registrations are rebuilt on every step: resuming an instance re-executes its waiting timer
 * definitions, which register again with their persisted due time.
 */
export interface TimerOwnerContent {
  id: string;
  executionId: string;
  expireAt?: Date | string;
  repeat?: number;
  [key: string]: unknown;
}

export interface TimerRegistration {
  readonly owner: TimerOwnerContent | undefined;
  fire(): void;
}

type Callback = (...args: unknown[]) => unknown;

interface Ref {
  owner: TimerOwnerContent | undefined;
  callback: Callback;
  args: unknown[];
}

export class RecordingTimers {
  private readonly refs = new Set<Ref>();

  /** bpmn-engine clears these on stop/end; we keep nothing running, so this is bookkeeping only. */
  get executing(): Ref[] {
    return [...this.refs];
  }

  register(owner: TimerOwnerContent) {
    return {
      owner,
      setTimeout: (callback: Callback, _delay: number, ...args: unknown[]) => this.add(owner, callback, args),
      clearTimeout: (ref: unknown) => this.clearTimeout(ref),
    };
  }

  setTimeout(callback: Callback, _delay: number, ...args: unknown[]): Ref {
    return this.add(undefined, callback, args);
  }

  clearTimeout(ref: unknown): undefined {
    this.refs.delete(ref as Ref);
    return undefined;
  }

  /** Registrations made by timer event definitions, by their execution id. */
  byExecutionId(executionId: string): TimerRegistration | undefined {
    for (const ref of this.refs) {
      if (ref.owner?.executionId === executionId) return this.toRegistration(ref);
    }
    return undefined;
  }

  list(): TimerRegistration[] {
    return [...this.refs].filter((ref) => ref.owner).map((ref) => this.toRegistration(ref));
  }

  private add(owner: TimerOwnerContent | undefined, callback: Callback, args: unknown[]): Ref {
    const ref: Ref = { owner, callback, args };
    this.refs.add(ref);
    return ref;
  }

  private toRegistration(ref: Ref): TimerRegistration {
    return {
      owner: ref.owner,
      fire: () => {
        if (!this.refs.delete(ref)) return;
        ref.callback(...ref.args);
      },
    };
  }
}
