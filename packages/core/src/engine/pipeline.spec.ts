import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BulkheadPolicy } from '../bulkhead/bulkhead.policy.js';
import { CircuitBreakerPolicy } from '../circuit-breaker/circuit-breaker.policy.js';
import { FakeClock, flushMicrotasks } from '../clock/fake-clock.js';
import { ComposedPolicy } from '../composition/compose-policies.js';
import { currentSignal, runInScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { FallbackPolicy } from '../fallback/fallback.policy.js';
import type { ResiliencePolicy } from '../policy/policy.interface.js';
import { RetryPolicy } from '../retry/retry.policy.js';
import { TokenBucketRetryBudget } from '../retry/token-bucket.retry-budget.js';
import { TimeoutPolicy } from '../timeout/timeout.policy.js';
import { referenceRun, type ReferenceStages } from './testing/layered-reference.js';

type Outcome = 'ok' | 'fail' | 'hang' | 'slow' | 'slow-fail' | 'throw';
type Step =
  | { kind: 'call'; outcome: Outcome; arg: number; cancellable: boolean; nested: boolean }
  | { kind: 'tick'; ms: number }
  | { kind: 'abort' };

interface Options {
  readonly withFallback: boolean;
  readonly withBulkhead: boolean;
  readonly withBudget: boolean;
}

/** A full stack on its own clock, with what it observed. */
function build({ withFallback, withBulkhead, withBudget }: Options) {
  const clock = new FakeClock(1_000);
  const budget = withBudget ? new TokenBucketRetryBudget({ ratio: 0.2, minRetriesPerSecond: 2, maxTokens: 3, clock }) : undefined;
  const retry = new RetryPolicy({ maxRetries: 2, baseDelay: 10, jitter: 'none', clock, ...(budget === undefined ? {} : { budget }) });
  const breaker = new CircuitBreakerPolicy({ failureThreshold: 3, recoveryTimeout: 200, clock });
  const timeout = new TimeoutPolicy({ duration: 50, clock });
  const fallback = withFallback
    ? new FallbackPolicy({ handler: (arg: number, error: Error) => `fb:${arg}:${error.name}`, staleIfError: { maxAge: 100 }, clock })
    : undefined;
  const bulkhead = withBulkhead ? new BulkheadPolicy({ maxConcurrent: 2, maxQueue: 1 }) : undefined;
  // The outer call some steps are nested in: its 70 ms deadline bounds theirs.
  const outer = new TimeoutPolicy({ name: 'outer', duration: 70, clock });
  const stages: ReferenceStages = { retry, breaker, timeout, ...(fallback && { fallback }), ...(bulkhead && { bulkhead }) };
  const policies: ResiliencePolicy[] = [retry, breaker, timeout, ...(fallback ? [fallback] : []), ...(bulkhead ? [bulkhead] : [])];
  return { clock, stages, composed: new ComposedPolicy(policies, 'stack'), retry, breaker, timeout, outer, budget, bulkhead };
}

type Built = ReturnType<typeof build>;

/** Plays the steps through the engine, or through the plain layered reference. */
async function play(steps: readonly Step[], options: Options, engine: boolean) {
  const built = build(options);
  const { clock } = built;
  const outcomes: string[] = [];
  const pending: Promise<void>[] = [];
  const cancellable: ExecutionScope[] = [];
  for (const step of steps) {
    if (step.kind === 'tick') {
      await clock.tickAsync(step.ms);
      continue;
    }
    if (step.kind === 'abort') {
      for (const scope of cancellable.splice(0)) scope.abort(new Error('caller left'));
      await flushMicrotasks();
      continue;
    }
    const operation = operationOf(step, clock);
    const call = (scope: ExecutionScope): Promise<string> =>
      engine ? built.composed.run(operation, scope, [step.arg]) : referenceRun(built.stages, operation, scope, [step.arg]);
    const start = (scope: ExecutionScope): Promise<string> => {
      if (!step.nested) return call(scope);
      // Nested in an outer timed call: the inner deadline is never later than the outer one's.
      return engine ? built.outer.run((context) => call(context as ExecutionScope), scope) : referenceRun({ timeout: built.outer }, (context) => call(context as ExecutionScope), scope);
    };
    let scope = ExecutionScope.root;
    if (step.cancellable) {
      scope = ExecutionScope.cancellable();
      cancellable.push(scope);
    }
    const run = runInScope(scope, () => start(scope));
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
  return observed(built, outcomes);
}

function operationOf(step: Extract<Step, { kind: 'call' }>, clock: FakeClock): () => Promise<string> {
  return async () => {
    if (step.outcome === 'throw') throw new RangeError('sync-ish');
    if (step.outcome === 'hang') return new Promise<string>(() => undefined);
    if (step.outcome === 'slow' || step.outcome === 'slow-fail') {
      // Settles after its deadline: the bulkhead slot is held until then.
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 80));
      if (step.outcome === 'slow-fail') throw new Error(`late-fail:${step.arg}`);
      return `late:${step.arg}`;
    }
    await Promise.resolve();
    if (step.outcome === 'fail') throw new Error(`fail:${step.arg}`);
    return `ok:${step.arg}`;
  };
}

function observed({ retry, breaker, timeout, outer, budget, bulkhead, clock }: Built, outcomes: string[]) {
  const { calls, state, failureCount } = breaker.snapshot();
  return {
    outcomes,
    retry: retry.stats,
    exhausted: retry.budgetExhaustedCount,
    budget: budget?.drain(),
    breaker: { calls, state, failureCount },
    timeouts: [timeout.timeoutCount, outer.timeoutCount],
    pendingDeadlines: timeout.pendingCount + outer.pendingCount,
    // Hanging operations keep their slot (the bulkhead bounds the work itself).
    bulkhead: bulkhead === undefined ? undefined : [bulkhead.running, bulkhead.queued, bulkhead.rejectedCount],
    refed: clock.refedTimers,
  };
}

const call: fc.Arbitrary<Step> = fc.record({
  kind: fc.constant('call' as const),
  outcome: fc.constantFrom<Outcome>('ok', 'fail', 'hang', 'slow', 'slow-fail', 'throw'),
  arg: fc.integer({ min: 0, max: 3 }),
  cancellable: fc.boolean(),
  nested: fc.boolean(),
});
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: call },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 250 }) }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'abort' }) },
);

describe('Pipeline (the execution engine)', () => {
  it('behaves as the plain layered reference: outcomes, counts, breaker, deadlines (nested, cancelled, concurrent calls)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), fc.boolean(), fc.boolean(), fc.boolean(), async (steps, withFallback, withBulkhead, withBudget) => {
        const options = { withFallback, withBulkhead, withBudget };
        const engine = await play(steps, options, true);
        const reference = await play(steps, options, false);
        expect(engine).toEqual(reference);
        // Nothing left behind: no deadline pending, no timer keeping the process alive.
        expect(engine.pendingDeadlines).toBe(0);
        expect(engine.refed).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the operation a signal that the timeout aborts', async () => {
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

  it('runs a policy of another library in its place in the order, around the rest', async () => {
    const clock = new FakeClock();
    const order: string[] = [];
    const foreign: ResiliencePolicy = {
      kind: 'retry',
      name: 'theirs',
      execute: (operation) => Promise.resolve(operation(ExecutionScope.root)),
      run: async (operation, scope) => {
        order.push('theirs:before');
        const value = await operation(scope);
        order.push('theirs:after');
        return value;
      },
    };
    const breaker = new CircuitBreakerPolicy({ clock });
    const composed = new ComposedPolicy([breaker, foreign, new FallbackPolicy({ value: 'fallback', clock })]);
    expect(
      await composed.execute(async () => {
        order.push('operation');
        return 'ok';
      }),
    ).toBe('ok');
    expect(order).toEqual(['theirs:before', 'operation', 'theirs:after']);
    expect(breaker.snapshot().calls.success).toBe(1);
    // Two of a kind: the second runs around the operation, inside the first.
    const second = new CircuitBreakerPolicy({ clock, failureThreshold: 1 });
    const twice = new ComposedPolicy([breaker, second]);
    await expect(twice.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(second.snapshot().state).toBe('open');
    expect(breaker.snapshot().calls.failure).toBe(1);
  });
});
