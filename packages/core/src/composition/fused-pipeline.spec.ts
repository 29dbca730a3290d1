import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { currentSignal } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { ComposedPolicy } from './compose-policies.js';

type Step = { kind: 'call'; outcome: 'ok' | 'fail' | 'hang' | 'slow' | 'throw'; arg: number } | { kind: 'tick'; ms: number };

/** A full stack on its own clock, fused or layered, plus what it observed. */
function build(fuse: boolean, withFallback: boolean, withBulkhead: boolean) {
  const clock = new FakeClock(1_000);
  const policies = [
    new RetryPolicy({ maxRetries: 2, baseDelay: 10, jitter: 'none', clock }),
    new CircuitBreakerPolicy({ failureThreshold: 3, recoveryTimeout: 200, clock }),
    new TimeoutPolicy({ duration: 50, clock }),
    ...(withFallback ? [new FallbackPolicy({ handler: (arg: number, error: Error) => `fb:${arg}:${error.name}`, staleIfError: { maxAge: 100 }, clock })] : []),
    ...(withBulkhead ? [new BulkheadPolicy({ maxConcurrent: 2, maxQueue: 1, clock })] : []),
  ];
  const composed = new ComposedPolicy(policies, 'stack', { fuse });
  return { clock, composed, policies };
}

async function play(steps: Step[], fuse: boolean, withFallback: boolean, withBulkhead: boolean) {
  const { clock, composed, policies } = build(fuse, withFallback, withBulkhead);
  const outcomes: string[] = [];
  const pending: Promise<void>[] = [];
  for (const step of steps) {
    if (step.kind === 'tick') {
      await clock.tickAsync(step.ms);
      continue;
    }
    const run = composed.run(
      async () => {
        if (step.outcome === 'throw') throw new RangeError('sync-ish');
        if (step.outcome === 'hang') return new Promise<string>(() => undefined);
        if (step.outcome === 'slow') {
          await new Promise<void>((resolve) => clock.setTimeout(resolve, 80));
          return `late:${step.arg}`;
        }
        await Promise.resolve();
        if (step.outcome === 'fail') throw new Error(`fail:${step.arg}`);
        return `ok:${step.arg}`;
      },
      ExecutionScope.root,
      [step.arg],
    );
    const index = outcomes.push('pending') - 1;
    pending.push(
      run.then(
        (value) => void (outcomes[index] = `value ${String(value)}`),
        (error: Error) => void (outcomes[index] = `error ${error.name}:${error.message}`),
      ),
    );
    await flushMicrotasks();
  }
  await clock.tickAsync(10_000);
  await Promise.all(pending);
  const [retry, breaker, timeout] = policies as [RetryPolicy, CircuitBreakerPolicy, TimeoutPolicy];
  const { calls, state, failureCount } = breaker.snapshot();
  return { outcomes, retry: retry.stats, breaker: { calls, state, failureCount }, timeouts: timeout.timeoutCount, refed: clock.refedTimers };
}

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('call' as const), outcome: fc.constantFrom('ok', 'fail', 'hang', 'slow', 'throw'), arg: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 250 }) }),
);

describe('FusedPipeline', () => {
  it('is used for a stack of Bulwark policies and behaves exactly as the layered chain (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.boolean(), fc.boolean(), async (steps, withFallback, withBulkhead) => {
        const fused = await play(steps, true, withFallback, withBulkhead);
        const layered = await play(steps, false, withFallback, withBulkhead);
        expect(fused).toEqual(layered);
        expect(fused.refed).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the operation a signal that the timeout aborts, as the layered chain does', async () => {
    const clock = new FakeClock();
    const composed = new ComposedPolicy([new TimeoutPolicy({ duration: 10, clock }), new CircuitBreakerPolicy({ clock })]);
    let signal: AbortSignal | undefined;
    const result = composed
      .execute(() => {
        signal = currentSignal();
        return new Promise(() => undefined);
      })
      .catch((error: unknown) => error);
    await clock.tickAsync(10);
    expect(await result).toMatchObject({ name: 'TimeoutError' });
    expect(signal?.aborted).toBe(true);
  });

  it('runs retries and the fallback after a timeout in the caller’s own async context (CLS), not the shared timer’s', async () => {
    const clock = new FakeClock();
    const cls = new AsyncLocalStorage<string>();
    const seen: string[] = [];
    const composed = new ComposedPolicy([
      new FallbackPolicy({ handler: () => `fallback in ${cls.getStore()}`, clock }),
      new RetryPolicy({ maxRetries: 1, baseDelay: 1, jitter: 'none', clock }),
      new TimeoutPolicy({ duration: 10, clock }),
    ]);
    const call = (request: string) =>
      cls.run(request, () =>
        composed.execute(() => {
          seen.push(`attempt in ${cls.getStore()}`);
          return new Promise<string>(() => undefined);
        }),
      );
    const first = call('request-1');
    await clock.tickAsync(5);
    const second = call('request-2'); // its deadline is served by the timer request-1 armed
    await clock.runAllAsync();
    expect(await first).toBe('fallback in request-1');
    expect(await second).toBe('fallback in request-2');
    expect(seen.sort()).toEqual(['attempt in request-1', 'attempt in request-1', 'attempt in request-2', 'attempt in request-2']);
  });
});
