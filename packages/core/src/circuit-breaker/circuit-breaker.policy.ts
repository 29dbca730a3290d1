import { systemClock, wallTime, type Clock } from '../clock/clock.js';
import { isCancellation, type ExecutionScope } from '../context/execution-scope.js';
import { DEFAULT_DURATION_BUCKETS_MS, DurationRecorder, type CallDurationHistogram } from './call-duration.histogram.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { createWithoutStack } from '../errors/resilience.error.js';
import { EventEmitter, type Event } from '../events/event-emitter.js';
import { PipelinePolicy } from '../engine/pipeline-policy.js';
import type { BreakerStage } from '../engine/pipeline-stages.js';
import type { ErrorClass } from '../policy/policy.interface.js';
import { anyResult } from '../policy/emitted-values.js';
import { WITHDRAWN_CALL } from '../policy/withdrawn-call.js';
import type { BreakerStrategy } from './breaker-strategy.interface.js';
import type { CircuitBreakerSync } from './circuit-breaker-sync.interface.js';
import type { CircuitBreakerCallCounts, CircuitBreakerSnapshot } from './circuit-breaker-snapshot.interface.js';
import type {
  CircuitBreakerCallOutcome,
  CircuitBreakerRejection,
  CircuitBreakerCallOutcomeKind,
  CircuitBreakerStateChange,
  CircuitBreakerTransitionReason,
} from './circuit-breaker.events.js';
import {
  resolveCircuitBreakerOptions,
  validateCircuitBreakerOptions,
  type CircuitBreakerOptions,
  type CircuitBreakerState,
  type ResolvedCircuitBreakerOptions,
} from './circuit-breaker.options.js';
import { ConsecutiveFailuresStrategy } from './consecutive-failures.strategy.js';
import { CountWindow } from './count-window.js';
import { FailureRateStrategy } from './failure-rate.strategy.js';
import { TimeWindow } from './time-window.js';

type CompletedOutcome = Exclude<CircuitBreakerCallOutcomeKind, 'not_permitted'>;

/** Options of a breaker built by hand: the breaker options plus its name, clock and validation path. */
export type CircuitBreakerPolicyOptions = CircuitBreakerOptions & {
  /** Default `'circuit-breaker'`. */
  name?: string;
  /** Default `systemClock`. */
  clock?: Clock;
  /** Where invalid options are reported (`circuitBreakers.pricing`); default: the name, else `circuitBreaker`. */
  validationPath?: string;
  /** For one breaker of a per-key family (`partner-api` for tenant `acme`): the key. */
  key?: string;
};

/**
 * Stops calling a failing dependency for a while, then lets a few trial calls decide whether it has
 * recovered. Closed -> open on consecutive failures (or, with a `window`, on failure / slow-call
 * rates); open -> half-open once `recoveryTimeout` has passed, on the next call (no breaker ever
 * owns a timer, and reading one never moves it); half-open -> closed or open on the trial calls'
 * verdict.
 *
 * Every state change bumps a generation number that each call captures when admitted: an outcome
 * from an earlier generation (a call admitted while closed that fails after the breaker opened, a
 * trial that outlives a reset) is counted in the cumulative totals but never moves the state.
 */
export class CircuitBreakerPolicy extends PipelinePolicy implements BreakerStage {
  readonly kind = 'circuit-breaker' as const;
  readonly name: string;
  /** The key of a per-key breaker (one breaker per tenant, say), else undefined. */
  readonly key: string | undefined;
  readonly critical: boolean;
  readonly options: ResolvedCircuitBreakerOptions;

  private readonly stateChanges = new EventEmitter<CircuitBreakerStateChange>();
  private readonly callOutcomes = new EventEmitter<CircuitBreakerCallOutcome>();
  /** Fires on every state change, with the reason. */
  readonly onStateChange: Event<CircuitBreakerStateChange> = this.stateChanges.event;
  /** Fires once per call: success, failure, ignored, or not permitted. */
  readonly onCallOutcome: Event<CircuitBreakerCallOutcome> = this.callOutcomes.event;
  private readonly rejections = new EventEmitter<CircuitBreakerRejection>();
  /** Fires for each call rejected without being run (cheaper to follow than every outcome). */
  readonly onRejected: Event<CircuitBreakerRejection> = this.rejections.event;

  /** @internal */
  readonly clock: Clock;
  private durations: DurationRecorder | undefined;
  /** Whether every admitted call must be timed (slow calls, histogram, time window, rate verdicts). */
  private timed: boolean;
  private rejectedAt = 0;
  private readonly strategy: BreakerStrategy;
  private readonly ignore: readonly ErrorClass[];
  private readonly isFailure: (error: unknown) => boolean;
  private readonly isFailureResult: ((value: unknown) => boolean) | undefined;
  /** True with `isFailureResult` (see `ResiliencePolicy.inspectsResults`). */
  readonly inspectsResults: boolean;
  private readonly recoveryTimeout: number;
  private readonly recoveryBackoff: ResolvedCircuitBreakerOptions['recoveryBackoff'];
  private readonly halfOpenMaxCalls: number;
  private readonly slowCallDurationThreshold: number;

  /** A shared store keeping this breaker in step with other replicas (see `attachSync`). */
  private sync: CircuitBreakerSync | undefined = undefined;

  private current: CircuitBreakerState = 'closed';
  private generation = 0;
  private openedAt: number | null = null;
  /** How long the current (or last) open period lasts: `recoveryTimeout`, grown by `recoveryBackoff`. */
  private openDuration: number;
  /** Re-opens from half-open in a row since the breaker last closed (what `recoveryBackoff` grows with). */
  private reopens = 0;
  private halfOpenSince = 0;
  /** Trial permits of the current half-open round: admitted and not released (an ignored outcome releases one). */
  private trialPermits = 0;

  private successCalls = 0;
  private failureCalls = 0;
  private ignoredCalls = 0;
  private notPermittedCalls = 0;
  private slowCalls = 0;

  // Arguments of the next rejection, read by `buildOpenError`: one bound function for the breaker's
  // lifetime instead of a closure per rejected call for `createWithoutStack`.
  private rejectionRetryAfter = 0;
  private rejectionState: CircuitBreakerState = 'open';
  private readonly buildOpenError = (): CircuitOpenError =>
    new CircuitOpenError(this.name, this.rejectionRetryAfter, this.rejectionState);

  constructor(options: CircuitBreakerPolicyOptions = {}) {
    super();
    validateCircuitBreakerOptions(options, validationPathOf(options));
    this.name = options.name ?? 'circuit-breaker';
    this.key = options.key;
    this.clock = options.clock ?? systemClock;
    const resolved = resolveCircuitBreakerOptions(options);
    this.options = resolved;
    this.durations = Array.isArray(resolved.durationBuckets) ? new DurationRecorder(resolved.durationBuckets) : undefined;
    this.critical = resolved.critical;
    this.ignore = resolved.ignore;
    this.isFailure = resolved.isFailure;
    this.isFailureResult = resolved.isFailureResult;
    this.inspectsResults = resolved.isFailureResult !== undefined;
    this.recoveryTimeout = resolved.recoveryTimeout;
    this.recoveryBackoff = resolved.recoveryBackoff;
    this.openDuration = resolved.recoveryTimeout;
    this.halfOpenMaxCalls = resolved.halfOpenMaxCalls;
    this.slowCallDurationThreshold = resolved.slowCallDurationThreshold;
    this.strategy = createStrategy(resolved);
    // Rate mode may open on any outcome (and time windows bucket by time): it needs the time.
    this.timed = this.durations !== undefined || resolved.window !== undefined || Number.isFinite(resolved.slowCallDurationThreshold);
  }

  /**
   * The current state. A read never moves the breaker: an open breaker whose recovery time has
   * passed still reads `open` (see `trialDue`) until a call starts the trial.
   */
  get state(): CircuitBreakerState {
    return this.current;
  }

  /**
   * Whether the breaker is open and its recovery time has passed, so that the next call starts a
   * half-open round (with a shared store: asks for the cluster's trial lease first). A read.
   */
  get trialDue(): boolean {
    return this.current === 'open' && this.clock.now() >= this.openedAt! + this.openDuration;
  }

  /**
   * How long the breaker stays open this time (the current or last open period), in ms:
   * `recoveryTimeout`, or with `recoveryBackoff` `recoveryTimeout * multiplier^n` after n re-opens
   * in a row, capped at `maxRecoveryTimeout`.
   */
  get currentRecoveryTimeout(): number {
    return this.openDuration;
  }

  /**
   * Milliseconds until this breaker would let a call through again, at clock time `now`: what is
   * left of the open period (0 once a trial is due), `Infinity` while forced open, 0 otherwise. A read.
   */
  refusesFor(now: number): number {
    const state = this.current;
    if (state === 'forced-open') return Infinity;
    if (state !== 'open') return 0;
    return Math.max(0, this.openedAt! + this.openDuration - now);
  }

  /**
   * @internal Lets a call in or not (the engine asks before each attempt). When it returns true,
   * `admittedAt` holds the call's start time, or NaN when nothing needs its duration (closed
   * consecutive mode without slow calls, histogram or outcome listeners: no clock read at all).
   * When false, `rejection()` builds the error to reject the call with.
   */
  admit(): boolean {
    const state = this.current;
    if (state === 'closed' || state === 'disabled') {
      this.admittedAt = this.timed || this.callOutcomes.hasListeners ? this.clock.now() : NaN;
      return true;
    }
    const now = this.clock.now();
    this.refreshState(now);
    if (this.current !== 'half-open' || this.trialPermits >= this.halfOpenMaxCalls) {
      this.rejectedAt = now;
      return false;
    }
    this.trialPermits++;
    this.admittedAt = now;
    return true;
  }

  /** @internal Start time of the call `admit()` just let in (NaN: untimed). */
  admittedAt = NaN;

  /**
   * @internal Books the outcome of an admitted call: `threw` with the error as `outcome`, else the
   * value it resolved with (a success, unless `isFailureResult` says otherwise). A call its caller
   * cancelled (an unsubscribe, an aborted caller signal) says nothing about the dependency's
   * health: neither success nor failure. Timeouts are failures.
   */
  record(outcome: unknown, threw: boolean, generation: number, startedAt: number, scope: ExecutionScope): void {
    if (threw && outcome === WITHDRAWN_CALL) {
      this.withdraw(generation);
      return;
    }
    if (!threw) {
      // Without a result predicate a value costs nothing more than a success did.
      if (this.isFailureResult === undefined || !this.rejectsResult(outcome)) this.complete('success', generation, startedAt, undefined, false);
      else this.complete('failure', generation, startedAt, outcome, false);
      return;
    }
    this.complete(isCancellation(outcome, scope) ? 'ignored' : this.classify(outcome), generation, startedAt, outcome, true);
  }

  /** @internal The state generation: outcomes of calls admitted in an earlier one are not applied. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Rejects every call (`retryAfterMs: Infinity`) until `reset()`. */
  forceOpen(): void {
    if (this.current === 'forced-open') return;
    const now = this.clock.now();
    this.openedAt = now;
    this.transition('forced-open', now, 'manual');
  }

  /** Lets every call through and never opens, until `reset()`; recent counts are cleared. */
  disable(): void {
    if (this.current === 'disabled') return;
    this.strategy.reset();
    this.openedAt = null;
    this.transition('disabled', this.clock.now(), 'manual');
  }

  /** Back to closed with recent counts cleared; calls still in flight no longer count. */
  reset(): void {
    this.strategy.reset();
    this.openedAt = null;
    if (this.current === 'closed') {
      this.generation++;
      return;
    }
    this.transition('closed', this.clock.now(), 'manual');
  }

  /** Same as `reset()`. */
  close(): void {
    this.reset();
  }

  /**
   * Connects a shared store: it hears the outcomes of calls admitted while closed and is asked
   * before a half-open round (see `CircuitBreakerSync`). One sync at a time.
   */
  attachSync(sync: CircuitBreakerSync): void {
    if (this.sync !== undefined && this.sync !== sync) throw new Error(`Circuit breaker "${this.name}" is already synced by a store`);
    this.sync = sync;
  }

  /** Disconnects the store: the breaker is local-only again. */
  detachSync(sync: CircuitBreakerSync): void {
    if (this.sync === sync) this.sync = undefined;
  }

  /**
   * Applies a state decided elsewhere (another replica, through a shared store), with reason
   * `remote`. `openedAt` (this breaker's clock) dates an `open` state, so every replica half-opens
   * at the same time; a breaker already in the state only takes the date. `reopens`, when given,
   * is the cluster's count of re-opens in a row, so that every replica's open period grows alike
   * with `recoveryBackoff`. A `half-open` state is not applied: the replica that holds the trial
   * runs the round, the others stay open until its verdict arrives.
   */
  applyRemote(to: Exclude<CircuitBreakerState, 'half-open'>, openedAt?: number, reopens?: number): void {
    const now = this.clock.now();
    if (to === 'open' || to === 'forced-open') {
      const at = openedAt ?? now;
      if (reopens !== undefined) this.setReopens(reopens);
      if (this.current === to) {
        this.openedAt = at;
        return;
      }
      this.openedAt = at;
      this.transition(to, now, 'remote');
      return;
    }
    if (this.current === to) return;
    this.strategy.reset();
    this.openedAt = null;
    this.transition(to, now, 'remote');
  }

  /**
   * Durations of the calls this breaker let through (successes and failures), cumulative since
   * creation; `undefined` with `durationBuckets: false`. Read by metrics exporters on scrape.
   */
  get durationHistogram(): CallDurationHistogram | undefined {
    return this.durations?.snapshot();
  }

  /**
   * Starts keeping the call-duration histogram (metrics exporters call this when they start), with
   * `boundsMs` or the default buckets. Timing costs two clock reads per call, so it is off unless
   * `durationBuckets` or an exporter asks for it. No effect when already on, or with
   * `durationBuckets: false`.
   */
  enableDurationHistogram(boundsMs: readonly number[] = DEFAULT_DURATION_BUCKETS_MS): void {
    if (this.durations !== undefined || this.options.durationBuckets === false) return;
    this.durations = new DurationRecorder(boundsMs);
    this.timed = true;
  }

  /**
   * The state and recent calls, as health, dashboards and metrics show them. A read: it moves
   * nothing, emits nothing and asks no store for anything; an open breaker past its recovery time
   * reports `open` with `nextAttemptAt` in the past (a trial is due; the next call starts it).
   */
  snapshot(): CircuitBreakerSnapshot {
    const now = this.clock.now();
    const window = this.strategy.window;
    window.refresh(now);
    const total = window.total;
    const state = this.current;
    const calls: CircuitBreakerCallCounts = {
      success: this.successCalls,
      failure: this.failureCalls,
      ignored: this.ignoredCalls,
      notPermitted: this.notPermittedCalls,
      slow: this.slowCalls,
    };
    return {
      name: this.name,
      state,
      critical: this.critical,
      failureCount: this.strategy.failureCount,
      successCount: total - window.failures,
      slowCallCount: window.slow,
      totalCalls: total,
      failureRate: percent(window.failures, total),
      slowCallRate: percent(window.slow, total),
      openedAt: wallTime(this.clock, this.openedAt),
      nextAttemptAt: state === 'open' ? wallTime(this.clock, this.openedAt! + this.openDuration) : null,
      calls,
    };
  }

  /** A throwing `isFailureResult` counts the value as a failure, as a throwing `isFailure` does. */
  private rejectsResult(value: unknown): boolean {
    try {
      // An Observable's subscription counts as a failure when any value it emitted does.
      return anyResult(value, this.isFailureResult!);
    } catch {
      return true;
    }
  }

  /** Never throws: a hostile `ignore` class or `isFailure` counts the error as a failure. */
  private classify(error: unknown): CompletedOutcome {
    try {
      const ignore = this.ignore;
      for (let i = 0; i < ignore.length; i++) {
        if (error instanceof ignore[i]!) return 'ignored';
      }
      // Only an explicit `false` makes an error a success: a predicate that forgets to return must
      // not stop the breaker from ever opening.
      return this.isFailure(error) === false ? 'success' : 'failure';
    } catch {
      return 'failure';
    }
  }

  /**
   * Applies the time-driven transitions that would have happened by `now`. Only a call does this
   * (`admit`): reads report the stored state, so that a health check or a scrape never takes the
   * cluster's trial lease or starts a round no call will run.
   */
  private refreshState(now: number): void {
    const state = this.current;
    if (state === 'open') {
      // With a shared store, one replica at a time runs the trial round (the store's lease).
      if (now >= this.openedAt! + this.openDuration && (this.sync === undefined || this.sync.acquireTrial())) this.toHalfOpen(now);
    } else if (state === 'half-open') {
      if (this.trialPermits >= this.halfOpenMaxCalls && now >= this.halfOpenSince + this.recoveryTimeout) {
        this.open(now, 'half-open-timeout');
      }
    }
  }

  /** @internal The error for the call `admit()` just refused, counted and reported. */
  rejection(): CircuitOpenError {
    const now = this.rejectedAt;
    this.notPermittedCalls++;
    const state = this.current;
    this.rejectionState = state;
    this.rejectionRetryAfter = this.retryAfter(state, now);
    const error = this.options.captureStackTrace ? this.buildOpenError() : createWithoutStack(this.buildOpenError);
    if (this.callOutcomes.hasListeners) {
      this.callOutcomes.emit({ name: this.name, outcome: 'not_permitted', durationMs: 0, error });
    }
    if (this.rejections.hasListeners) {
      this.rejections.emit({ name: this.name, state, retryAfterMs: this.rejectionRetryAfter, at: now });
    }
    return error;
  }

  /**
   * Open: until half-open. Forced open: never. Half-open with every trial permit taken: until the
   * round is decided at the latest (its trials answer, or it is abandoned after `recoveryTimeout`).
   */
  private retryAfter(state: CircuitBreakerState, now: number): number {
    // Past the recovery timeout an open breaker is waiting for another replica's trial: any moment.
    // Whole milliseconds, rounded up: the monotonic clock reads fractions, and never too early.
    if (state === 'open') return Math.ceil(Math.max(0, this.openedAt! + this.openDuration - now));
    if (state === 'half-open') return Math.ceil(Math.max(0, this.halfOpenSince + this.recoveryTimeout - now));
    return Infinity;
  }

  /** `detail`: what the call threw (`threw`), or the value `isFailureResult` counted as a failure. */
  private complete(outcome: CompletedOutcome, generation: number, startedAt: number, detail: unknown, threw: boolean): void {
    // An untimed call (NaN start) reads the clock only if it may open the breaker.
    const untimed = startedAt !== startedAt;
    const now = untimed && outcome !== 'failure' ? NaN : this.clock.now();
    const durationMs = untimed ? 0 : now - startedAt;
    if (outcome !== 'ignored' && !untimed) this.durations?.record(durationMs);
    const slow = outcome !== 'ignored' && durationMs > this.slowCallDurationThreshold;
    if (outcome === 'success') this.successCalls++;
    else if (outcome === 'failure') this.failureCalls++;
    else this.ignoredCalls++;
    if (slow) this.slowCalls++;
    if (this.callOutcomes.hasListeners) {
      const name = this.name;
      this.callOutcomes.emit(
        threw
          ? { name, outcome, durationMs, error: detail }
          : outcome === 'failure'
            ? { name, outcome, durationMs, result: detail }
            : { name, outcome, durationMs },
      );
    }
    // The state is the one the call was admitted in only while the generation is unchanged.
    if (generation === this.generation) this.apply(outcome, slow, now);
  }

  /** A call withdrawn by its operation was never made: its trial permit goes back, nothing is counted. */
  private withdraw(generation: number): void {
    if (generation === this.generation && this.current === 'half-open') this.trialPermits--;
  }

  private apply(outcome: CompletedOutcome, slow: boolean, now: number): void {
    const state = this.current;
    if (state === 'closed') {
      if (outcome === 'ignored') return;
      this.sync?.recordOutcome(outcome === 'failure', slow);
      const reason = this.strategy.record(outcome === 'failure', slow, now);
      if (reason !== undefined) this.open(now, reason);
      return;
    }
    if (state !== 'half-open') return; // disabled: nothing a call does moves the state
    if (outcome === 'ignored') {
      this.trialPermits--;
      return;
    }
    const verdict = this.strategy.recordTrial(outcome === 'failure', slow);
    if (verdict === 'open') {
      this.open(now, 'half-open-failure');
    } else if (verdict === 'closed') {
      this.strategy.reset();
      this.openedAt = null;
      this.transition('closed', now, 'half-open-success');
    }
  }

  private open(now: number, reason: CircuitBreakerTransitionReason): void {
    // A trial round that failed (or was abandoned) re-opens for longer, with `recoveryBackoff`.
    this.setReopens(this.current === 'half-open' ? this.reopens + 1 : 0);
    this.openedAt = now;
    this.transition('open', now, reason);
  }

  private setReopens(reopens: number): void {
    this.reopens = reopens;
    const backoff = this.recoveryBackoff;
    if (backoff === undefined || reopens === 0) {
      this.openDuration = this.recoveryTimeout;
      return;
    }
    // An overflowing power is Infinity: the cap holds.
    const grown = this.recoveryTimeout * backoff.multiplier ** reopens;
    this.openDuration = grown < backoff.maxRecoveryTimeout ? grown : backoff.maxRecoveryTimeout;
  }

  private toHalfOpen(now: number): void {
    this.halfOpenSince = now;
    this.strategy.startTrials();
    this.transition('half-open', now, 'recovery-timeout');
  }

  /** The one place the state changes; events go out after every field is consistent. */
  private transition(to: CircuitBreakerState, now: number, reason: CircuitBreakerTransitionReason): void {
    const from = this.current;
    // Closed (or disabled, or reset) again: the next open period is `recoveryTimeout` again.
    if (to === 'closed' || to === 'disabled') this.setReopens(0);
    this.current = to;
    this.generation++;
    this.trialPermits = 0;
    if (this.stateChanges.hasListeners) this.stateChanges.emit({ name: this.name, from, to, at: now, reason });
  }
}

function createStrategy(options: ResolvedCircuitBreakerOptions): BreakerStrategy {
  const window = options.window;
  if (window === undefined) return new ConsecutiveFailuresStrategy(options.failureThreshold, options.halfOpenMaxCalls);
  // A count window never holds more than `size` calls, so a larger minimum could never be met.
  const minimumCalls = window.type === 'count' ? Math.min(options.minimumCalls, window.size) : options.minimumCalls;
  return new FailureRateStrategy(window.type === 'count' ? new CountWindow(window.size) : new TimeWindow(window.durationMs), {
    failureRateThreshold: options.failureRateThreshold,
    slowCallRateThreshold: options.slowCallRateThreshold,
    minimumCalls,
    trialCalls: options.halfOpenMaxCalls,
    slowCallsPossible: options.slowCallDurationThreshold !== Infinity,
  });
}

function validationPathOf(options: unknown): string {
  const { name, validationPath } = (options ?? {}) as { name?: unknown; validationPath?: unknown };
  if (typeof validationPath === 'string') return validationPath;
  return typeof name === 'string' && name.length > 0 ? name : 'circuitBreaker';
}

function percent(count: number, total: number): number {
  return total === 0 ? 0 : Math.round((count * 1000) / total) / 10;
}
