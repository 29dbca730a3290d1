import { runInScope } from '../../context/current-signal.js';
import { ExecutionScope } from '../../context/execution-scope.js';
import { invoke } from '../../policy/invoke.js';
import type { Operation } from '../../policy/policy.interface.js';
import { recordBudgetCall } from '../../retry/retry-budget-call.js';
import type { BreakerStage, BulkheadStage, FallbackStage, RetryStage, TimeoutStage } from '../pipeline-stages.js';
import type { DeadlineEntry } from '../../timeout/deadline-queue.js';

/** The stages of a stack, any of them absent. */
export interface ReferenceStages {
  readonly fallback?: FallbackStage;
  readonly retry?: RetryStage;
  readonly breaker?: BreakerStage;
  readonly timeout?: TimeoutStage;
  readonly bulkhead?: BulkheadStage;
}

type Layer = <T>(operation: Operation<T>, scope: ExecutionScope) => Promise<T>;

/**
 * A reference for the engine's specs: the same stages composed the plain way, one nested async
 * function per policy (Fallback(Retry(CircuitBreaker(Timeout(Bulkhead(operation)))))), each with its
 * own promises, each timeout with a timer of its own. Slow and obvious on purpose: what the engine
 * does in one call object, this does layer by layer, so a property can compare the two.
 */
export function referenceRun<T>(stages: ReferenceStages, operation: Operation<T>, scope: ExecutionScope, args: readonly unknown[] = []): Promise<T> {
  if (scope.aborted) return Promise.reject(scope.reason);
  let layer: Layer = (op, inner) => invoke(op, inner);
  if (stages.bulkhead !== undefined) layer = bulkheadLayer(stages.bulkhead, layer);
  if (stages.timeout !== undefined) layer = timeoutLayer(stages.timeout, layer);
  if (stages.breaker !== undefined) layer = breakerLayer(stages.breaker, layer);
  if (stages.retry !== undefined) layer = retryLayer(stages.retry, layer);
  if (stages.fallback !== undefined) layer = fallbackLayer(stages.fallback, layer, args);
  return layer(operation, scope);
}

function fallbackLayer(fallback: FallbackStage, next: Layer, args: readonly unknown[]): Layer {
  return async <T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> => {
    const key = fallback.staleKey(args);
    let value: T;
    try {
      value = await next(operation, scope);
    } catch (error) {
      return (await fallback.recover(error, args, key, undefined, scope)) as T;
    }
    return fallback.accept(key, value, args, undefined);
  };
}

function retryLayer(retry: RetryStage, next: Layer): Layer {
  return async <T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> => {
    if (retry.budget !== undefined) recordBudgetCall(retry.budget);
    const attempt: Operation<T> = (context) => next(operation, context as ExecutionScope);
    let value: T;
    try {
      value = await attempt(scope);
    } catch (error) {
      return retry.continueAfter(1, error, true, attempt, scope);
    }
    return retry.acceptsResult(value) ? retry.succeeded(value) : retry.continueAfter(1, value, false, attempt, scope);
  };
}

function breakerLayer(breaker: BreakerStage, next: Layer): Layer {
  return async <T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> => {
    if (!breaker.admit()) throw breaker.rejection();
    const generation = breaker.currentGeneration;
    const startedAt = breaker.admittedAt;
    let value: T;
    try {
      value = await next(operation, scope);
    } catch (error) {
      breaker.record(error, true, generation, startedAt, scope);
      throw error;
    }
    breaker.record(value, false, generation, startedAt, scope);
    return value;
  };
}

/** A scope of the reference's own: a child of the caller's, with the earlier of two deadlines. */
class ReferenceScope extends ExecutionScope {
  constructor(parent: ExecutionScope, deadline: number, inherited: boolean) {
    super(parent, deadline, parent.abortable);
    this.adopt(parent, inherited);
  }
}

function timeoutLayer(timeout: TimeoutStage, next: Layer): Layer {
  return <T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> => {
    if (scope.aborted) return Promise.reject(scope.reason);
    const own = timeout.clock.now() + timeout.duration;
    const inherited = scope.deadline <= own;
    const child = new ReferenceScope(scope, inherited ? scope.deadline : own, inherited);
    if (!inherited) child.deadlineError = timeout.createError;
    const context = timeout.captureContext?.();
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const end = (): boolean => {
        if (done) return false;
        done = true;
        if (entry !== undefined) timeout.queue.settle(entry);
        stopFollowing();
        child.dispose();
        return true;
      };
      // The policy's own deadline queue, not a timer of its own: deadlines due at the same instant
      // as another timer then fire in the same order as the engine's (ties are otherwise arbitrary).
      const entry: DeadlineEntry | undefined = inherited
        ? undefined
        : {
            deadline: own,
            settled: false,
            queueSlot: 0,
            expire: () => {
              if (end()) reject(timeout.expire(child, context));
            },
          };
      if (entry !== undefined) timeout.queue.add(entry);
      const stopFollowing = child.onAbort((reason) => {
        if (end()) reject(reason);
      });
      runInScope(child, () => next(operation, child)).then(
        (value) => {
          if (end()) resolve(value);
        },
        (error: unknown) => {
          if (end()) reject(error);
        },
      );
    });
  };
}

function bulkheadLayer(bulkhead: BulkheadStage, next: Layer): Layer {
  return <T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> => {
    const run = (): Promise<T> => {
      const slotAt = bulkhead.sampleClock === undefined ? NaN : bulkhead.sampleClock.now();
      const work = next(operation, scope);
      // The slot is the work's, until the work itself settles.
      work.then(
        (value) => bulkhead.release(slotAt, value, false, scope),
        (error: unknown) => bulkhead.release(slotAt, error, true, scope),
      );
      return work;
    };
    if (bulkhead.tryEnter()) return run();
    return new Promise<T>((resolve, reject) => {
      const queued = bulkhead.enqueue({
        waitScope: scope,
        granted: () => run().then(resolve, reject),
        cancelled: reject,
      });
      if (!queued) reject(bulkhead.full());
    });
  };
}
