import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { invokeInScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { Operation, ResiliencePolicy } from '../policy/policy.interface.js';
import { promiseSettledBy, unsettled } from '../policy/promise-settled-by.js';
import type { RetryBudget } from '../retry/retry-budget.interface.js';
import { RetryPolicy, recordBudgetCall } from '../retry/retry.policy.js';
import type { DeadlineQueue } from '../timeout/deadline-queue.js';
import { TimedScope } from '../timeout/timed-scope.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * The fixed-order stack (Fallback → Retry → CircuitBreaker → Timeout → Bulkhead) run as one step
 * on the path every healthy call takes: the breaker admits, the timeout registers its deadline, the
 * bulkhead takes a slot, the operation runs once, and a single `then` books the outcome in every
 * policy. Layer by layer, each policy would add an async frame and a promise or two; on Node 20
 * with AsyncLocalStorage enabled each promise also runs the async hooks, so this is most of the
 * stack's cost. A first attempt that fails (or cannot start at once: a full bulkhead, an aborted
 * scope) continues through the policies' own code, so every behaviour stays the policies'.
 */
export class FusedPipeline {
  private constructor(
    readonly fallback: FallbackPolicy | undefined,
    readonly retry: RetryPolicy | undefined,
    readonly breaker: CircuitBreakerPolicy | undefined,
    readonly timeout: TimeoutPolicy | undefined,
    readonly bulkhead: BulkheadPolicy | undefined,
    /** The layered chain of everything, for calls that leave the fast path before starting. */
    private readonly layered: ResiliencePolicy,
    /** The layered chain inside the retry (breaker, timeout, bulkhead), for later attempts. */
    private readonly attempts: ResiliencePolicy,
  ) {
    this.sharedClock = breaker !== undefined && timeout !== undefined && breaker.clock === timeout.clock;
    this.budget = retry?.budget;
  }

  /** The retry's budget: the fused path records the calls it starts (the layered path's retry does its own). */
  private readonly budget: RetryBudget | undefined;

  /** Whether the breaker and the timeout read the same clock (so one reading can serve both). */
  private readonly sharedClock: boolean;

  /**
   * A fused pipeline for `policies` (already in the fixed order), or undefined when they are not
   * one each of Bulwark's own policies (a custom policy keeps the layered chain).
   */
  static create(
    policies: readonly ResiliencePolicy[],
    layered: ResiliencePolicy,
    compose: (policies: readonly ResiliencePolicy[]) => ResiliencePolicy,
  ): FusedPipeline | undefined {
    const byKind = new Map<string, ResiliencePolicy>();
    for (const policy of policies) {
      if (byKind.has(policy.kind)) return undefined;
      byKind.set(policy.kind, policy);
    }
    const pick = <P>(kind: string, type: abstract new (...args: never[]) => P): P | undefined | null => {
      const policy = byKind.get(kind);
      if (policy === undefined) return undefined;
      return policy instanceof type ? policy : null;
    };
    const fallback = pick('fallback', FallbackPolicy);
    const retry = pick('retry', RetryPolicy);
    const breaker = pick('circuit-breaker', CircuitBreakerPolicy);
    const timeout = pick('timeout', TimeoutPolicy);
    const bulkhead = pick('bulkhead', BulkheadPolicy);
    if (fallback === null || retry === null || breaker === null || timeout === null || bulkhead === null) return undefined;
    if (byKind.size !== policies.length || byKind.size < 2) return undefined;
    const inner = policies.filter((policy) => policy !== fallback && policy !== retry);
    return new FusedPipeline(fallback, retry, breaker, timeout, bulkhead, layered, compose(inner));
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[] = NO_ARGS, thisArg?: unknown): Promise<T> {
    const { breaker, timeout, bulkhead } = this;
    // Anything but a plain start (an aborted scope, a queue to wait in) takes the layered chain.
    if (scope.aborted || (bulkhead !== undefined && !bulkhead.tryEnter())) return this.layered.run(operation, scope, args, thisArg);
    if (this.budget !== undefined) recordBudgetCall(this.budget);
    const key = this.fallback?.staleKey(args);
    if (breaker !== undefined && !breaker.admit()) {
      bulkhead?.release();
      return this.afterFailure<T>(breaker.rejection(), operation, scope, args, thisArg, key);
    }
    if (timeout === undefined) {
      // Without a timeout the call still gets a scope of its own for `currentSignal()`.
      const call = new FusedCall<T>(this, operation, scope, args, thisArg, key, scope.deadline, true, undefined);
      if (breaker !== undefined) call.admitted(breaker);
      return invokeInScope(operation, call).then(
        (value) => call.valueUntimed(value),
        (error: unknown) => call.errorUntimed(error),
      );
    }
    // A timed breaker has just read the clock: one reading serves both (a clock read costs up to
    // ~90 ns on some virtual machines).
    const admittedAt = breaker === undefined ? NaN : breaker.admittedAt;
    const ownDeadline = admittedAt === admittedAt && this.sharedClock ? admittedAt + timeout.duration : timeout.deadlineFromNow();
    const inherited = scope.deadline <= ownDeadline;
    // The call is its own scope (one object, not two): the operation's context and signal.
    const call = new FusedCall<T>(this, operation, scope, args, thisArg, key, inherited ? scope.deadline : ownDeadline, inherited, inherited ? undefined : timeout.queue);
    if (breaker !== undefined) call.admitted(breaker);
    if (!inherited) call.deadlineError = timeout.createError;
    if (timeout.captureContext !== undefined) call.context = timeout.captureContext();
    const promise = promiseSettledBy(call);
    if (!inherited) timeout.queue.add(call);
    if (inherited || call.abortable) call.followScope();
    // Bound methods rather than arrow functions: no closure context, and nothing to compile lazily
    // on the first (and only) call of each (~100 instructions less per call).
    invokeInScope(operation, call).then(call.value.bind(call), call.error.bind(call));
    return promise;
  }

  /** Books a successful first attempt in the outer policies and returns the call's result. */
  succeeded<T>(call: FusedCall<T>, value: T): T | Promise<T> {
    const retry = this.retry;
    if (retry !== undefined) {
      if (!retry.acceptsResult(value)) return this.continueRetry<T>(retry, value, false, call.operation, call.scope, call.args, call.thisArg, call.key);
      retry.succeeded(value);
    }
    return this.fallback === undefined ? value : this.fallback.accept(call.key, value, call.args, call.thisArg);
  }

  /** The rest of a call whose first attempt failed (or was refused): retries, then the fallback. */
  afterFailure<T>(error: unknown, operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[], thisArg: unknown, key: string | undefined): Promise<T> {
    const retry = this.retry;
    if (retry !== undefined) return this.continueRetry<T>(retry, error, true, operation, scope, args, thisArg, key);
    const fallback = this.fallback;
    if (fallback === undefined) return Promise.reject(error);
    try {
      return Promise.resolve(fallback.recover(error, args, key, thisArg, scope) as T | Promise<T>);
    } catch (failure) {
      return Promise.reject(failure);
    }
  }

  private continueRetry<T>(
    retry: RetryPolicy,
    outcome: unknown,
    failed: boolean,
    operation: Operation<T>,
    scope: ExecutionScope,
    args: readonly unknown[],
    thisArg: unknown,
    key: string | undefined,
  ): Promise<T> {
    const attempts = this.attempts;
    const result = retry.continueAfter<T>(1, outcome, failed, (inner) => attempts.run(operation, inner as ExecutionScope, args, thisArg), scope);
    const fallback = this.fallback;
    if (fallback === undefined) return result;
    return result.then(
      (value) => fallback.accept(key, value, args, thisArg),
      (error: unknown) => fallback.recover(error, args, key, thisArg, scope) as T | Promise<T>,
    );
  }
}

/**
 * One call on the fused path: a timed scope (see TimedScope) that books its outcome in every
 * policy of the pipeline.
 */
class FusedCall<T> extends TimedScope {
  generation = 0;
  startedAt = NaN;
  /** Settles the call's promise (set by `promiseSettledBy`; untimed calls have none). */
  resolve: (value: T | PromiseLike<T>) => void = unsettled;
  reject: (error: unknown) => void = unsettled;

  constructor(
    private readonly pipeline: FusedPipeline,
    readonly operation: Operation<T>,
    /** The scope the call runs under (its caller's); breakers judge cancellation by it. */
    readonly scope: ExecutionScope,
    readonly args: readonly unknown[],
    readonly thisArg: unknown,
    readonly key: string | undefined,
    deadline: number,
    inherited: boolean,
    queue: DeadlineQueue | undefined,
  ) {
    super(scope, deadline, inherited, queue);
  }

  /** Records the breaker's admission (its generation and the call's start time). */
  admitted(breaker: CircuitBreakerPolicy): void {
    this.generation = breaker.currentGeneration;
    this.startedAt = breaker.admittedAt;
  }

  /** No timeout: the operation's outcome is the attempt's, and a `then` returns the call's. */
  valueUntimed(value: T): T | Promise<T> {
    this.dispose();
    this.pipeline.bulkhead?.release();
    this.pipeline.breaker?.record(value, false, this.generation, this.startedAt, this.scope);
    return this.pipeline.succeeded(this, value);
  }

  errorUntimed(error: unknown): Promise<T> {
    this.dispose();
    this.pipeline.bulkhead?.release();
    this.pipeline.breaker?.record(error, true, this.generation, this.startedAt, this.scope);
    return this.pipeline.afterFailure(error, this.operation, this.scope, this.args, this.thisArg, this.key);
  }

  value(value: T): void {
    // The bulkhead bounds the work itself: its slot is held until the operation settles, even
    // when the timeout already gave up on it.
    this.pipeline.bulkhead?.release();
    if (!this.finish()) return;
    this.pipeline.breaker?.record(value, false, this.generation, this.startedAt, this.scope);
    this.resolve(this.pipeline.succeeded(this, value));
  }

  error(error: unknown): void {
    this.pipeline.bulkhead?.release();
    if (!this.finish()) return;
    this.pipeline.breaker?.record(error, true, this.generation, this.startedAt, this.scope);
    this.resolve(this.continueAfter(error));
  }

  protected expired(): void {
    this.failElsewhere(this.pipeline.timeout!.expire(this, this.context));
  }

  protected abandoned(reason: unknown): void {
    this.failElsewhere(reason);
  }

  /** Retries and fallback after a failed attempt; runs in the call's own async context. */
  continueAfter(error: unknown): Promise<T> {
    return this.pipeline.afterFailure(error, this.operation, this.scope, this.args, this.thisArg, this.key);
  }

  /**
   * A failure noticed outside the call's async context (the shared timer's, an aborting caller's).
   * Retries and fallback handlers must run in the call's own context (its request's CLS store, its
   * span): resolving the call's promise with a thenable makes V8 call `then` in a job that runs in
   * the context the promise was created in, the call's, for the price of one small object.
   */
  private failElsewhere(error: unknown): void {
    this.pipeline.breaker?.record(error, true, this.generation, this.startedAt, this.scope);
    this.resolve(new FailureContinuation(this, error));
  }
}

/** See `FusedCall.failElsewhere`: V8 calls `then` in the call's async context. */
class FailureContinuation<T> implements PromiseLike<T> {
  constructor(
    private readonly call: FusedCall<T>,
    private readonly error: unknown,
  ) {}

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): PromiseLike<R1 | R2> {
    return this.call.continueAfter(this.error).then(onFulfilled, onRejected);
  }
}

