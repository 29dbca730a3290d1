import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { FakeClock } from '../clock/fake-clock.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import type { CircuitBreakerSnapshot } from './circuit-breaker-snapshot.interface.js';
import { CircuitBreakerPolicy } from './circuit-breaker.policy.js';

/** A call longer than this is slow. */
const SLOW_THRESHOLD = 20;

type Mode = 'consecutive' | 'count' | 'time';

interface Config {
  mode: Mode;
  start: number;
  failureThreshold: number;
  recoveryTimeout: number;
  halfOpenMaxCalls: number;
  size: number;
  durationMs: number;
  minimumCalls: number;
  failureRateThreshold: number;
  slowCallRateThreshold: number;
}

type Step = { kind: 'call'; failure: boolean; duration: number } | { kind: 'advance'; ms: number };

interface Recorded {
  at: number;
  failure: boolean;
  slow: boolean;
}

type CallResult = { admitted: true } | { admitted: false; retryAfterMs: number };

/**
 * The breaker as the brief describes it, written for clarity rather than speed: it keeps every call
 * recorded since the breaker last closed and filters the window out of it on demand, and decides a
 * half-open round by trying every way the remaining trials could end.
 */
class ReferenceBreaker {
  state: 'closed' | 'open' | 'half-open' = 'closed';
  openedAt: number | null = null;
  consecutiveFailures = 0;
  history: Recorded[] = [];
  trials: Recorded[] = [];
  transitions = 0;
  calls = { success: 0, failure: 0, ignored: 0, notPermitted: 0, slow: 0 };

  constructor(
    readonly config: Config,
    public now: number,
  ) {}

  advance(ms: number): void {
    this.now += ms;
  }

  /** What a call does first: an open breaker past its recovery timeout becomes half-open (reads move nothing). */
  private startTrialsIfDue(): void {
    if (this.state === 'open' && this.now >= this.openedAt! + this.config.recoveryTimeout) {
      this.state = 'half-open';
      this.trials = [];
      this.transitions++;
    }
  }

  call(failure: boolean, duration: number): CallResult {
    this.startTrialsIfDue();
    if (this.state === 'open') {
      this.calls.notPermitted++;
      return { admitted: false, retryAfterMs: this.openedAt! + this.config.recoveryTimeout - this.now };
    }
    this.now += duration;
    const outcome = { at: this.now, failure, slow: duration > SLOW_THRESHOLD };
    if (failure) this.calls.failure++;
    else this.calls.success++;
    if (outcome.slow) this.calls.slow++;
    if (this.state === 'closed') this.recordClosed(outcome);
    else this.recordTrial(outcome);
    return { admitted: true };
  }

  window(): Recorded[] {
    const { mode, size, durationMs } = this.config;
    if (mode === 'consecutive') return this.history.slice(-100);
    if (mode === 'count') return this.history.slice(-size);
    const span = durationMs / 10;
    const current = Math.floor(this.now / span);
    return this.history.filter((r) => Math.floor(r.at / span) > current - 10);
  }

  expectedSnapshot(name: string): CircuitBreakerSnapshot {
    const window = this.window();
    const failures = window.filter((r) => r.failure).length;
    const slow = window.filter((r) => r.slow).length;
    const rate = (n: number): number => (window.length === 0 ? 0 : Math.round((n / window.length) * 1000) / 10);
    return {
      name,
      state: this.state,
      critical: false,
      failureCount: this.config.mode === 'consecutive' ? this.consecutiveFailures : failures,
      successCount: window.length - failures,
      slowCallCount: slow,
      totalCalls: window.length,
      failureRate: rate(failures),
      slowCallRate: rate(slow),
      openedAt: this.openedAt,
      nextAttemptAt: this.state === 'open' ? this.openedAt! + this.config.recoveryTimeout : null,
      calls: { ...this.calls },
    };
  }

  private recordClosed(outcome: Recorded): void {
    const c = this.config;
    this.history.push(outcome);
    if (c.mode === 'consecutive') {
      this.consecutiveFailures = outcome.failure ? this.consecutiveFailures + 1 : 0;
      if (this.consecutiveFailures >= c.failureThreshold) this.open();
      return;
    }
    const window = this.window();
    const minimum = c.mode === 'count' ? Math.min(c.minimumCalls, c.size) : c.minimumCalls;
    if (window.length < minimum) return;
    const failureRate = (window.filter((r) => r.failure).length * 100) / window.length;
    const slowRate = (window.filter((r) => r.slow).length * 100) / window.length;
    if (failureRate >= c.failureRateThreshold || slowRate >= c.slowCallRateThreshold) this.open();
  }

  private recordTrial(outcome: Recorded): void {
    this.trials.push(outcome);
    const verdict = this.trialVerdict();
    if (verdict === 'open') this.open();
    if (verdict === 'closed') this.close();
  }

  private trialVerdict(): 'open' | 'closed' | undefined {
    const c = this.config;
    const n = c.halfOpenMaxCalls;
    const failures = this.trials.filter((r) => r.failure).length;
    if (c.mode === 'consecutive') {
      if (failures > 0) return 'open';
      return this.trials.length === n ? 'closed' : undefined;
    }
    // Every way the remaining trials could fail and be slow; the verdict is known when all agree.
    const slow = this.trials.filter((r) => r.slow).length;
    const remaining = n - this.trials.length;
    const endings = new Set<boolean>();
    for (let f = 0; f <= remaining; f++) {
      for (let s = 0; s <= remaining; s++) {
        endings.add(((failures + f) * 100) / n >= c.failureRateThreshold || ((slow + s) * 100) / n >= c.slowCallRateThreshold);
      }
    }
    if (endings.size > 1) return undefined;
    return endings.has(true) ? 'open' : 'closed';
  }

  private open(): void {
    this.state = 'open';
    this.openedAt = this.now;
    this.transitions++;
  }

  private close(): void {
    this.state = 'closed';
    this.openedAt = null;
    this.consecutiveFailures = 0;
    this.history = [];
    this.transitions++;
  }
}

function configArbitrary(mode: Mode): fc.Arbitrary<Config> {
  return fc.record({
    mode: fc.constant(mode),
    start: fc.integer({ min: 0, max: 10_000 }),
    failureThreshold: fc.integer({ min: 1, max: 5 }),
    recoveryTimeout: fc.integer({ min: 1, max: 300 }),
    halfOpenMaxCalls: fc.integer({ min: 1, max: 4 }),
    size: fc.integer({ min: 1, max: 10 }),
    durationMs: fc.integer({ min: 20, max: 1_000 }),
    minimumCalls: fc.integer({ min: 1, max: 12 }),
    // Whole percentages: the model's divided rates then compare exactly.
    failureRateThreshold: fc.integer({ min: 1, max: 100 }),
    slowCallRateThreshold: fc.integer({ min: 1, max: 100 }),
  });
}

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      failure: fc.boolean(),
      // Fast (up to and including the threshold) or slow.
      duration: fc.oneof(fc.integer({ min: 0, max: SLOW_THRESHOLD }), fc.integer({ min: SLOW_THRESHOLD + 1, max: 60 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
);

async function check(config: Config, steps: Step[]): Promise<void> {
  const clock = new FakeClock(config.start);
  const breaker = new CircuitBreakerPolicy({
    name: 'model',
    clock,
    failureThreshold: config.failureThreshold,
    recoveryTimeout: config.recoveryTimeout,
    halfOpenMaxCalls: config.halfOpenMaxCalls,
    slowCallDurationThreshold: SLOW_THRESHOLD,
    ...(config.mode === 'consecutive'
      ? {}
      : {
          window: config.mode === 'count' ? { type: 'count', size: config.size } : { type: 'time', durationMs: config.durationMs },
          minimumCalls: config.minimumCalls,
          failureRateThreshold: config.failureRateThreshold,
          slowCallRateThreshold: config.slowCallRateThreshold,
        }),
  });
  let transitions = 0;
  breaker.onStateChange(() => transitions++);
  const model = new ReferenceBreaker(config, config.start);
  const capacity = config.mode === 'consecutive' ? 100 : config.mode === 'count' ? config.size : Infinity;

  for (const step of steps) {
    if (step.kind === 'advance') {
      clock.advance(step.ms);
      model.advance(step.ms);
    } else {
      const expected = model.call(step.failure, step.duration);
      let invoked = false;
      const result = await breaker
        .execute(() => {
          invoked = true;
          clock.advance(step.duration);
          if (step.failure) throw new Error('failure');
          return 'ok';
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      expect(invoked).toBe(expected.admitted);
      if (expected.admitted) {
        expect(result instanceof CircuitOpenError).toBe(false);
      } else {
        expect(result).toBeInstanceOf(CircuitOpenError);
        expect((result as CircuitOpenError).retryAfterMs).toBe(expected.retryAfterMs);
      }
    }
    expect(clock.now()).toBe(model.now);
    expect(breaker.state).toBe(model.state);
    const snapshot = breaker.snapshot();
    expect(snapshot).toEqual(model.expectedSnapshot('model'));
    for (const count of [snapshot.failureCount, snapshot.successCount, snapshot.slowCallCount, snapshot.totalCalls]) {
      expect(count).toBeGreaterThanOrEqual(0);
      expect(count).toBeLessThanOrEqual(capacity);
    }
    if (config.mode !== 'consecutive') expect(snapshot.successCount + snapshot.failureCount).toBe(snapshot.totalCalls);
    expect(transitions).toBe(model.transitions);
  }
}

describe('CircuitBreakerPolicy against a reference model', () => {
  it.each<Mode>(['consecutive', 'count', 'time'])('%s mode: any sequence of calls and clock moves ends in the predicted state', async (mode) => {
    await fc.assert(
      fc.asyncProperty(configArbitrary(mode), fc.array(stepArbitrary, { maxLength: 80 }), check),
      { numRuns: 300 },
    );
  });

  it('the model and the breaker agree on a hand-checked sequence that opens the breaker', async () => {
    const config: Config = {
      mode: 'count',
      start: 0,
      failureThreshold: 1,
      recoveryTimeout: 100,
      halfOpenMaxCalls: 1,
      size: 2,
      durationMs: 100,
      minimumCalls: 2,
      failureRateThreshold: 50,
      slowCallRateThreshold: 100,
    };
    const model = new ReferenceBreaker(config, 0);
    model.call(true, 0);
    expect(model.state).toBe('closed');
    model.call(false, 0);
    expect(model.state).toBe('open');
    await check(config, [
      { kind: 'call', failure: true, duration: 0 },
      { kind: 'call', failure: false, duration: 0 },
      { kind: 'call', failure: false, duration: 0 },
    ]);
  });
});
