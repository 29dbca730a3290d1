import type { Clock } from '../clock/clock.js';
import type { ExecutionScope } from '../context/execution-scope.js';
import type { TimeoutError } from '../errors/timeout.error.js';
import type { Operation } from '../policy/policy.interface.js';
import type { RetryBudget } from '../retry/retry-budget.interface.js';
import type { DeadlineQueue } from '../timeout/deadline-queue.js';

/**
 * What the execution engine needs of each of Bulwark's policies: the steps of its semantics, run by
 * the one `Pipeline` whether the policy is used alone or composed. Each policy class implements its
 * stage and carries `PIPELINE_STAGE`; any other `ResiliencePolicy` is run as a whole around the
 * rest (see `Pipeline`).
 */
export const PIPELINE_STAGE: unique symbol = Symbol('bulwark.pipeline-stage');

export interface FallbackStage {
  readonly kind: 'fallback';
  /** The `staleIfError` key of a call's arguments, computed before the call runs. */
  staleKey(args: readonly unknown[]): string | undefined;
  /** A call's value, remembered, or replaced when `onResult` rejects it. Never throws. */
  accept<T>(key: string | undefined, value: T, args: readonly unknown[], thisArg: unknown): T | Promise<T>;
  /** What stands in for a failure; throws the error when nothing does. */
  recover(error: unknown, args: readonly unknown[], key: string | undefined, thisArg: unknown, scope: ExecutionScope): unknown;
}

export interface RetryStage {
  readonly kind: 'retry';
  readonly budget: RetryBudget | undefined;
  /** Whether a first attempt's value ends the call (`retryOnResult` does not reject it). */
  acceptsResult(value: unknown): boolean;
  /** Books a call whose first attempt succeeded. */
  succeeded<T>(value: T): T;
  /** The rest of a call after attempt `attempt` ended with `outcome`: retries `attempt` (a fresh attempt per call) until done. */
  continueAfter<T>(attempt: number, outcome: unknown, failed: boolean, operation: Operation<T>, scope: ExecutionScope): Promise<T>;
}

export interface BreakerStage {
  readonly kind: 'circuit-breaker';
  readonly clock: Clock;
  /** Lets a call in (then `admittedAt`, `currentGeneration` describe it) or not (then `rejection()` is its error). */
  admit(): boolean;
  readonly admittedAt: number;
  readonly currentGeneration: number;
  rejection(): unknown;
  /** Books an admitted call's outcome: the value, or with `threw` the error. */
  record(outcome: unknown, threw: boolean, generation: number, startedAt: number, scope: ExecutionScope): void;
}

export interface TimeoutStage {
  readonly kind: 'timeout';
  readonly clock: Clock;
  readonly duration: number;
  readonly queue: DeadlineQueue;
  readonly createError: () => TimeoutError;
  captureContext: (() => unknown) | undefined;
  /** Books a call abandoned at this policy's deadline, aborts its scope, returns its error. */
  expire(scope: ExecutionScope, context: unknown): TimeoutError;
}

/** A call waiting for a bulkhead slot. */
export interface BulkheadWaiter {
  /** Aborting it takes the waiter out of the queue (then `cancelled`). */
  readonly waitScope: ExecutionScope;
  /** A slot is the waiter's now (already counted), in the waiter's own async context. */
  granted(): void;
  /** The waiter's scope aborted while it waited. */
  cancelled(reason: unknown): void;
}

export interface BulkheadStage {
  readonly kind: 'bulkhead';
  /**
   * The clock of a bulkhead that learns from the calls it lets through (an adaptive limit): the
   * engine reads it when a call takes a slot and passes the reading to `release`. `undefined` for
   * a bulkhead that does not (the engine then reads no clock for it).
   */
  readonly sampleClock: Clock | undefined;
  /** Takes a slot if one is free now. */
  tryEnter(): boolean;
  /**
   * Frees a slot, handing it to the oldest waiter. `slotAt` is the `sampleClock` reading when the
   * slot was taken (`NaN` when not read, or when the work never ran); `outcome` what the work
   * settled with (its error when `threw`); `scope` the scope the work ran in (aborted when the call
   * timed out or its caller gave up first).
   */
  release(slotAt: number, outcome: unknown, threw: boolean, scope: ExecutionScope): void;
  /** Queues the waiter if there is room (true), else false. */
  enqueue(waiter: BulkheadWaiter): boolean;
  /** Books a call turned away (no slot, no queue place) and returns its error. */
  full(): unknown;
}

export type PipelineStage = FallbackStage | RetryStage | BreakerStage | TimeoutStage | BulkheadStage;
