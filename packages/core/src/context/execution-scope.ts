import { TimeoutError } from '../errors/timeout.error.js';

type AbortListener = (reason: unknown) => void;

/** What an operation run by a policy receives. */
export interface ExecutionContext {
  /**
   * Aborts when the call times out or is cancelled (caller signal aborted, Observable
   * unsubscribed). Created on first access: calls that never read it never pay for it.
   */
  readonly signal: AbortSignal;
  /** True once the call has been aborted. */
  readonly aborted: boolean;
  /** Why the call was aborted (a `TimeoutError` on timeout); `undefined` while not aborted. */
  readonly reason: unknown;
  /** Absolute deadline on the policy clock, `Infinity` when there is none. */
  readonly deadline: number;
}

let neverAbortedSignal: AbortSignal | undefined;

/**
 * The cancellation scope of one resilient call. Scopes form a tree: a timeout opens a child whose
 * deadline is the earlier of its own and its parent's, and aborting a parent aborts its children.
 *
 * Cost model (the hot path): a scope is a plain object. The `AbortSignal` is created only when
 * someone reads `signal`, and a child links itself to its parent (one listener) only when the
 * parent can abort for a reason other than a deadline the child already inherits (a caller
 * signal, an unsubscribe) or when the child inherits the parent's deadline. A timeout on an
 * undisturbed top-level call allocates nothing else.
 */
export class ExecutionScope implements ExecutionContext {
  /** The scope of code that runs outside any resilient call: never aborts, no deadline. */
  static readonly root: ExecutionScope = new ExecutionScope(undefined, Infinity, false);

  /** The TimeoutError to raise when `deadline` passes (set by the timeout that owns it). */
  deadlineError: (() => TimeoutError) | undefined = undefined;

  private controller: AbortController | undefined = undefined;
  private listeners: AbortListener[] | undefined = undefined;
  private abortReason: unknown = undefined;
  private isAborted = false;
  private unlink: (() => void) | undefined = undefined;
  /**
   * The call this scope belongs to has settled (see `dispose`). Work it scheduled that runs later
   * (a timer, a listener, a store's flush) must not inherit it: its deadline is moot and nothing
   * will ever abort it, so a timeout started there would wait on a deadline nobody watches.
   */
  ended = false;

  protected constructor(
    readonly parent: ExecutionScope | undefined,
    /** Set once by the scope's owner (an attempt sets its own when its timeout starts it). */
    public deadline: number,
    /** Whether something other than `deadline` (which children inherit) can abort this scope. */
    readonly abortable: boolean,
  ) {}

  /** A child scope whose deadline is the earlier of `deadline` and this scope's. */
  child(deadline = Infinity): ExecutionScope {
    const inherited = this.deadline <= deadline;
    const scope = new ExecutionScope(this, inherited ? this.deadline : deadline, this.abortable);
    scope.adopt(this, inherited);
    return scope;
  }

  /**
   * Ties a new scope to its parent: inherits the parent's deadline error when it inherits its
   * deadline, starts aborted under an aborted parent, and is linked when the parent can be
   * cancelled or when its deadline is the parent's (the parent's timeout then ends both; nested
   * calls only, a fresh timeout links nothing). Subclasses (an attempt) call it once.
   */
  protected adopt(parent: ExecutionScope, inherited: boolean): void {
    if (inherited) this.deadlineError = parent.deadlineError;
    if (parent.isAborted) {
      this.abort(parent.abortReason);
    } else if (parent.abortable || (inherited && parent.deadline !== Infinity)) {
      this.unlink = parent.onAbort((reason) => this.abort(reason));
    }
  }

  /** A scope that aborts with `signal`, under `parent` (inheriting its deadline and aborts). */
  static fromSignal(signal: AbortSignal, parent: ExecutionScope = ExecutionScope.root): ExecutionScope {
    const scope = new ExecutionScope(parent, parent.deadline, true);
    scope.deadlineError = parent.deadlineError;
    if (parent.isAborted) {
      scope.abort(parent.abortReason);
      return scope;
    }
    if (signal.aborted) {
      scope.abort(signal.reason);
      return scope;
    }
    const onSignalAbort = (): void => scope.abort(signal.reason);
    signal.addEventListener('abort', onSignalAbort, { once: true });
    const unlinkParent = parent.abortable ? parent.onAbort((reason) => scope.abort(reason)) : undefined;
    scope.unlink = () => {
      signal.removeEventListener('abort', onSignalAbort);
      unlinkParent?.();
    };
    return scope;
  }

  /** A fresh scope that only aborts when `abort` is called on it (or its parent aborts). */
  static cancellable(parent: ExecutionScope = ExecutionScope.root): ExecutionScope {
    const scope = new ExecutionScope(parent, parent.deadline, true);
    scope.deadlineError = parent.deadlineError;
    if (parent.isAborted) scope.abort(parent.abortReason);
    else if (parent.abortable) scope.unlink = parent.onAbort((reason) => scope.abort(reason));
    return scope;
  }

  get aborted(): boolean {
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  get signal(): AbortSignal {
    if (this === ExecutionScope.root) {
      neverAbortedSignal ??= new AbortController().signal;
      return neverAbortedSignal;
    }
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.isAborted) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts this scope and every linked child. Idempotent; the root scope ignores it. */
  abort(reason: unknown): void {
    if (this.isAborted || this === ExecutionScope.root) return;
    this.isAborted = true;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const listeners = this.listeners;
    if (listeners === undefined) return;
    this.listeners = undefined;
    for (const listener of listeners) {
      try {
        listener(reason);
      } catch {
        // A listener's failure must not stop the others from learning about the abort.
      }
    }
  }

  /**
   * Calls `listener` when this scope aborts (at once if it already has). Returns a function that
   * removes the listener; callers must call it when they stop waiting, so long-lived scopes do
   * not accumulate listeners.
   */
  onAbort(listener: AbortListener): () => void {
    if (this.isAborted) {
      listener(this.abortReason);
      return noop;
    }
    if (this === ExecutionScope.root) return noop;
    (this.listeners ??= []).push(listener);
    return () => {
      const listeners = this.listeners;
      if (listeners === undefined) return;
      const index = listeners.indexOf(listener);
      if (index >= 0) listeners.splice(index, 1);
    };
  }

  /**
   * Marks the scope ended and detaches it from the parent scope or caller signal. Call when the
   * scoped call has settled: `currentScope()` then skips it.
   */
  dispose(): void {
    this.ended = true;
    const unlink = this.unlink;
    if (unlink === undefined) return;
    this.unlink = undefined;
    unlink();
  }
}

function noop(): void {}

/**
 * Whether `error` is the call ending because its caller ended it, rather than a failure of what it
 * called: the caller's scope has aborted (an unsubscribe, an aborted caller signal, a client that
 * went away, or the caller's own deadline: an outer timeout, a request's budget), whatever the
 * error (its reason, or the client's own abort error: axios' `CanceledError`, a driver's). Neither a breaker
 * failure nor a reason to fall back: a client sending 1 ms deadlines must not open anyone's
 * breaker. A call's own timeout (inside the breaker) aborts the attempt's scope, not the caller's:
 * that is a failure.
 */
export function isCancellation(_error: unknown, scope: ExecutionScope): boolean {
  return scope.aborted;
}
