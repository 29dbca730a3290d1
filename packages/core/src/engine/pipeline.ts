import { callInScope, isCurrentScope, runInScopeWith } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import type { Operation, PolicyKind, ResiliencePolicy } from '../policy/policy.interface.js';
import { promiseSettledBy, unsettled, type PromiseSettler } from '../policy/promise-settled-by.js';
import { recordBudgetCall } from '../retry/retry-budget-call.js';
import type { DeadlineEntry } from '../timeout/deadline-queue.js';
import {
  PIPELINE_STAGE,
  type BreakerStage,
  type BulkheadStage,
  type BulkheadWaiter,
  type FallbackStage,
  type PipelineStage,
  type RetryStage,
  type TimeoutStage,
} from './pipeline-stages.js';

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** Where each kind runs, from the outside in. */
const RANK: Readonly<Record<PolicyKind, number>> = { fallback: 0, retry: 1, 'circuit-breaker': 2, timeout: 3, bulkhead: 4 };

/** What runs an operation for a pipeline: another pipeline, or a policy it could not hold. */
interface Runner {
  run<T>(operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[], thisArg: unknown): Promise<T>;
}

/**
 * The one execution engine: Bulwark's policies, alone or composed, in the fixed order Fallback →
 * Retry → CircuitBreaker → Timeout → Bulkhead, run by one call object per call. An attempt is
 * admitted by the breaker, bounded by the timeout (whose scope is what the operation sees as
 * `currentSignal()`), given a bulkhead slot for its work, and runs the operation once; the retry
 * decides what follows a failed attempt and the fallback what stands in for a failed call.
 *
 * An async-context scope is entered only where a call carries a deadline or a cancellation: a
 * timed attempt, or a caller's scope not current yet (a caller's signal, an Observable's
 * subscription). A breaker, retry, bulkhead or fallback alone runs the operation as it is.
 *
 * Policies it cannot hold (another library's, a second one of a kind) run as a whole around the
 * operation, in their place in the order.
 */
export class Pipeline implements Runner {
  readonly fallback: FallbackStage | undefined;
  readonly retry: RetryStage | undefined;
  readonly breaker: BreakerStage | undefined;
  readonly timeout: TimeoutStage | undefined;
  readonly bulkhead: BulkheadStage | undefined;
  /** What runs inside the bulkhead, around the operation: the policies this pipeline could not hold. */
  readonly around: Runner | undefined;
  /** Whether the breaker and the timeout read one clock (one reading then serves both). */
  readonly sharedClock: boolean;

  /** `policies` in the fixed order (as `composePolicies` sorts them). */
  constructor(policies: readonly ResiliencePolicy[]) {
    const stages: Partial<Record<PolicyKind, PipelineStage>> = {};
    let rank = -1;
    let held = 0;
    for (; held < policies.length; held++) {
      const stage = stageOf(policies[held]!);
      if (stage === undefined || RANK[stage.kind] <= rank) break;
      rank = RANK[stage.kind];
      stages[stage.kind] = stage;
    }
    this.fallback = stages.fallback as FallbackStage | undefined;
    this.retry = stages.retry as RetryStage | undefined;
    this.breaker = stages['circuit-breaker'] as BreakerStage | undefined;
    this.timeout = stages.timeout as TimeoutStage | undefined;
    this.bulkhead = stages.bulkhead as BulkheadStage | undefined;
    this.around = held < policies.length ? runnerOf(policies.slice(held)) : undefined;
    this.sharedClock = this.breaker !== undefined && this.timeout !== undefined && this.breaker.clock === this.timeout.clock;
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[] = NO_ARGS, thisArg?: unknown): Promise<T> {
    // A caller that has already gone is answered with its own reason: nothing runs, nothing is counted.
    if (scope.aborted) return Promise.reject(scope.reason);
    const budget = this.retry?.budget;
    if (budget !== undefined) recordBudgetCall(budget);
    const around = this.around;
    const work: Operation<T> = around === undefined ? operation : (context) => around.run(operation, context as ExecutionScope, args, thisArg);
    const key = this.fallback === undefined ? undefined : this.fallback.staleKey(args);
    return new PipelineCall<T>(this, work, scope, args, thisArg, key).start();
  }
}

/** The stage of one of Bulwark's policies, or undefined for any other policy. */
function stageOf(policy: ResiliencePolicy): PipelineStage | undefined {
  const stage = policy as ResiliencePolicy & { [PIPELINE_STAGE]?: true };
  return stage[PIPELINE_STAGE] === true ? (policy as unknown as PipelineStage) : undefined;
}

/** Runs `policies` (the ones a pipeline could not hold) around an operation, in their order. */
function runnerOf(policies: readonly ResiliencePolicy[]): Runner {
  const first = policies[0]!;
  if (stageOf(first) !== undefined) return new Pipeline(policies);
  const inner = policies.length > 1 ? runnerOf(policies.slice(1)) : undefined;
  return {
    run: <T>(operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[], thisArg: unknown): Promise<T> =>
      first.run(inner === undefined ? operation : (context) => inner.run(operation, context as ExecutionScope, args, thisArg), scope, args, thisArg),
  };
}

/**
 * One attempt of a call: admitted by the breaker, bounded by its own deadline when the pipeline has
 * a timeout (it is then the scope the operation runs in), holding a bulkhead slot while its work
 * runs, running the operation once. One outcome ends it: the operation settles, the deadline
 * passes, or an outer scope aborts; a slot is held until the work itself settles, whatever ended
 * the attempt. `begin()` returns the promise of that outcome (rejected with the error).
 */
class Attempt<T> extends ExecutionScope implements DeadlineEntry, BulkheadWaiter, PromiseSettler<T> {
  settled = false;
  queueSlot = -1;
  /** What the timeout's `captureContext` returned when the attempt started. */
  context: unknown = undefined;
  generation = 0;
  startedAt = NaN;
  /** When the attempt took its bulkhead slot, on the bulkhead's `sampleClock` (`NaN` when it reads none). */
  slotAt = NaN;
  resolve: (value: T | PromiseLike<T>) => void = unsettled;
  reject: (error: unknown) => void = unsettled;
  /** Whether the attempt runs under a deadline of the pipeline's timeout (then it is the operation's scope). */
  private timed = false;
  /** Whether a deadline queue holds the attempt (its own deadline, not an outer one it inherited). */
  private queued = false;
  private holdsSlot = false;
  /** Whether the attempt's outcome is its operation's promise, chained (no promise of its own). */
  private direct = false;
  private unfollow: (() => void) | undefined = undefined;

  constructor(
    readonly pipeline: Pipeline,
    readonly operation: Operation<T>,
    /** The caller's scope: the call's cancellation and outer deadline. */
    readonly caller: ExecutionScope,
  ) {
    super(caller, caller.deadline, caller.abortable);
  }

  /** Starts the attempt (synchronously up to the operation's invocation) and returns its outcome. */
  begin(): Promise<T> {
    const { breaker, timeout, bulkhead } = this.pipeline;
    if (breaker !== undefined) {
      if (!breaker.admit()) {
        this.settled = true;
        return Promise.reject(breaker.rejection());
      }
      this.generation = breaker.currentGeneration;
      this.startedAt = breaker.admittedAt;
    }
    // A promise of the attempt's own when something may end it before its work does (its
    // deadline, an outer abort) or its work starts later (a bulkhead queue).
    let promise: Promise<T> | undefined;
    if (timeout !== undefined) {
      promise = promiseSettledBy<T>(this);
      this.arm(timeout, breaker);
      // Born under an aborted caller (an outer deadline that has just passed): already over.
      if (this.settled) return promise;
    }
    if (bulkhead !== undefined && !bulkhead.tryEnter()) {
      promise ??= promiseSettledBy<T>(this);
      // The queue's wait counts toward the deadline; an abort while waiting ends the attempt.
      if (!bulkhead.enqueue(this)) this.turnedAway(bulkhead.full());
      return promise;
    }
    if (bulkhead !== undefined) this.tookSlot(bulkhead);
    if (promise !== undefined) {
      this.work();
      return promise;
    }
    // Nothing races the work: the attempt's outcome is the operation's, booked on its way out.
    this.direct = true;
    return this.work()!;
  }

  get waitScope(): ExecutionScope {
    return this.timedScope;
  }

  /** @internal The scope the operation runs in: the attempt's own when timed, else its caller's. */
  get timedScope(): ExecutionScope {
    return this.timed ? this : this.caller;
  }

  /** A bulkhead slot freed up for the attempt, in its own async context. */
  granted(): void {
    if (this.settled) {
      // Ended while it waited (its deadline, say): the slot goes straight back.
      this.pipeline.bulkhead!.release(NaN, undefined, false, this.timedScope);
      return;
    }
    this.tookSlot(this.pipeline.bulkhead!);
    this.work();
  }

  private tookSlot(bulkhead: BulkheadStage): void {
    this.holdsSlot = true;
    const clock = bulkhead.sampleClock;
    if (clock !== undefined) this.slotAt = clock.now();
  }

  /** Gives the slot back once the work has settled with `outcome`. */
  private releaseSlot(outcome: unknown, threw: boolean): void {
    if (this.holdsSlot) this.pipeline.bulkhead!.release(this.slotAt, outcome, threw, this.timedScope);
  }

  /** The attempt's scope aborted while it waited for a slot. */
  cancelled(reason: unknown): void {
    // A timed attempt hears its own abort through `expired` / `abandoned`; an untimed one, here.
    if (!this.timed && this.finish()) this.failed(reason);
  }

  /**
   * Runs the operation. An attempt with a deadline, or whose caller's scope can abort and is not
   * current yet, enters its scope in async context (what the operation schedules sees it too).
   * Otherwise nothing could ever abort the call: the operation runs as it is, and sees a scope of its
   * own (a signal that never aborts) until its first `await`.
   */
  private work(): Promise<T> | undefined {
    const caller = this.caller;
    if (this.timed) return runInScopeWith(this, invokeAttempt<T>, this);
    if (!caller.abortable && caller.deadline === Infinity) return callInScope(this, invokeAttempt<T>, this);
    if (isCurrentScope(caller)) return callInScope(caller, invokeAttempt<T>, this);
    return runInScopeWith(caller, invokeAttempt<T>, this);
  }

  /**
   * @internal The operation, once. A synchronous throw is booked at once, as a settled failure.
   * Returns the attempt's outcome when it has no promise of its own (see `direct`).
   */
  invoke(): Promise<T> | undefined {
    let result: T | PromiseLike<T>;
    try {
      result = this.operation(this.timedScope);
    } catch (error) {
      if (!this.direct) {
        this.error(error);
        return undefined;
      }
      this.booked(error);
      return Promise.reject(error);
    }
    // Native promises as they are; values and other thenables adopted.
    const outcome = result instanceof Promise ? result : Promise.resolve(result);
    // Bound methods, not closures: nothing to compile lazily per call.
    if (this.direct) return outcome.then(this.passValue.bind(this), this.passError.bind(this));
    outcome.then(this.value.bind(this), this.error.bind(this));
    return undefined;
  }

  /** A direct attempt's value: booked, and passed on. */
  private passValue(value: T): T {
    this.releaseSlot(value, false);
    this.settled = true;
    this.dispose();
    this.pipeline.breaker?.record(value, false, this.generation, this.startedAt, this.caller);
    return value;
  }

  /** A direct attempt's error: booked, and passed on. */
  private passError(error: unknown): never {
    this.booked(error);
    throw error;
  }

  private booked(error: unknown): void {
    this.releaseSlot(error, true);
    this.settled = true;
    this.dispose();
    this.pipeline.breaker?.record(error, true, this.generation, this.startedAt, this.caller);
  }

  /** Gives the attempt its deadline: its timeout's, or an earlier one it inherits from its caller. */
  private arm(timeout: TimeoutStage, breaker: BreakerStage | undefined): void {
    const caller = this.caller;
    // A timed breaker has just read the clock: one reading serves both.
    const admittedAt = breaker === undefined ? NaN : this.startedAt;
    const own = (admittedAt === admittedAt && this.pipeline.sharedClock ? admittedAt : timeout.clock.now()) + timeout.duration;
    const inherited = caller.deadline <= own;
    this.timed = true;
    this.deadline = inherited ? caller.deadline : own;
    this.adopt(caller, inherited);
    if (!inherited) {
      this.deadlineError = timeout.createError;
      this.queued = true;
      timeout.queue.add(this);
    }
    if (timeout.captureContext !== undefined) this.context = timeout.captureContext();
    // The caller's scope can end the attempt first (its deadline, inherited, or its cancellation).
    if (inherited || caller.abortable) {
      this.unfollow = this.onAbort((reason) => {
        if (this.finish()) this.abandoned(reason);
      });
      if (this.settled) this.detach();
    }
  }

  private value(value: T): void {
    // A slot is held until the work settles, even when the attempt already ended.
    this.releaseSlot(value, false);
    if (!this.finish()) return;
    this.pipeline.breaker?.record(value, false, this.generation, this.startedAt, this.caller);
    this.resolve(value);
  }

  private error(error: unknown): void {
    this.releaseSlot(error, true);
    if (!this.finish()) return;
    this.failed(error);
  }

  /** Called by the deadline queue (which has already marked it settled): the deadline passed. */
  expire(): void {
    this.detach();
    this.failed(this.pipeline.timeout!.expire(this, this.context));
  }

  /** The caller's scope aborted first (its deadline, inherited, or its cancellation). */
  private abandoned(reason: unknown): void {
    this.failed(reason);
  }

  /** No slot and no place in the queue. The breaker admitted the attempt: it counts. */
  private turnedAway(error: unknown): void {
    if (this.finish()) this.failed(error);
  }

  private failed(error: unknown): void {
    this.pipeline.breaker?.record(error, true, this.generation, this.startedAt, this.caller);
    this.reject(error);
  }

  /** Wins the race for the attempt's single outcome; false when something else already did. */
  private finish(): boolean {
    if (this.queued) {
      if (!this.pipeline.timeout!.queue.settle(this)) return false;
    } else {
      if (this.settled) return false;
      this.settled = true;
    }
    this.detach();
    return true;
  }

  /** Stops following the caller's scope and ends the attempt's own. */
  private detach(): void {
    const unfollow = this.unfollow;
    this.unfollow = undefined;
    unfollow?.();
    this.dispose();
  }
}

/** Invokes an attempt's operation (in the scope `runInScopeWith` or `callInScope` made current). */
function invokeAttempt<T>(attempt: Attempt<T>): Promise<T> | undefined {
  return attempt.invoke();
}

/**
 * One call through a pipeline: its first attempt, then what the retry and the fallback make of it.
 * What follows an attempt runs in `then` handlers attached when the call started, so retries and
 * fallback handlers run in the caller's own async context (its request's CLS store, its span),
 * whatever ended the attempt (a timer, another caller's abort).
 */
class PipelineCall<T> {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly operation: Operation<T>,
    private readonly scope: ExecutionScope,
    private readonly args: readonly unknown[],
    private readonly thisArg: unknown,
    private readonly key: string | undefined,
  ) {}

  start(): Promise<T> {
    const { retry, fallback } = this.pipeline;
    const first = new Attempt<T>(this.pipeline, this.operation, this.scope).begin();
    if (retry === undefined && fallback === undefined) return first;
    return first.then(this.succeeded.bind(this), this.failed.bind(this));
  }

  private succeeded(value: T): T | Promise<T> {
    const retry = this.pipeline.retry;
    if (retry !== undefined) {
      if (!retry.acceptsResult(value)) return this.retried(retry, value, false);
      retry.succeeded(value);
    }
    const fallback = this.pipeline.fallback;
    return fallback === undefined ? value : fallback.accept(this.key, value, this.args, this.thisArg);
  }

  private failed(error: unknown): T | Promise<T> {
    const retry = this.pipeline.retry;
    if (retry !== undefined) return this.retried(retry, error, true);
    return this.pipeline.fallback!.recover(error, this.args, this.key, this.thisArg, this.scope) as T | Promise<T>;
  }

  /** Retries after the first attempt (each a fresh attempt), then the fallback. */
  private retried(retry: RetryStage, outcome: unknown, failed: boolean): Promise<T> {
    const pipeline = this.pipeline;
    const operation = this.operation;
    const attempt: Operation<T> = (context) => new Attempt<T>(pipeline, operation, context as ExecutionScope).begin();
    const result = retry.continueAfter<T>(1, outcome, failed, attempt, this.scope);
    const fallback = pipeline.fallback;
    if (fallback === undefined) return result;
    return result.then(
      (value) => fallback.accept(this.key, value, this.args, this.thisArg),
      (error: unknown) => fallback.recover(error, this.args, this.key, this.thisArg, this.scope) as T | Promise<T>,
    );
  }
}
