import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { firstValueFrom, defer, throwError } from 'rxjs';
import { FakeClock } from '../clock/fake-clock.js';
import { ExecutionScope } from '../context/execution-scope.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { withRetry } from '../rxjs/policy-operators.js';
import type { RetryBudget } from './retry-budget.interface.js';
import { RetryPolicy, type GiveUpEvent, type RetryPolicyOptions } from './retry.policy.js';
import { TokenBucketRetryBudget } from './token-bucket.retry-budget.js';

/** A budget that grants retries from a script (then `fallback`) and logs what it is asked. */
class ScriptedBudget implements RetryBudget {
  readonly log: string[] = [];
  constructor(
    private readonly answers: boolean[] = [],
    private readonly fallback = true,
  ) {}
  recordCall(): void {
    this.log.push('call');
  }
  tryRetry(): boolean {
    const answer = this.answers.shift() ?? this.fallback;
    this.log.push(answer ? 'retry' : 'refused');
    return answer;
  }
}

function setup(budget: RetryPolicyOptions['budget'], options: RetryPolicyOptions = {}) {
  const clock = new FakeClock(1_000);
  const policy = new RetryPolicy({ clock, jitter: 'none', baseDelay: 10, maxRetries: 3, budget, ...options });
  const giveUps: GiveUpEvent[] = [];
  policy.onGiveUp((event) => giveUps.push(event));
  return { clock, policy, giveUps };
}

/** Runs `operation` to completion on the fake clock; returns its outcome without unhandled rejections. */
async function settle<T>(clock: FakeClock, promise: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  const outcome = promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await clock.runAllAsync();
  return outcome;
}

function failing(errors: unknown[]) {
  let attempts = 0;
  const operation = () => Promise.reject(errors[Math.min(attempts++, errors.length - 1)]);
  return { operation, attempts: () => attempts };
}

describe('RetryPolicy with a retry budget', () => {
  it('records each call once and asks the budget before each retry', async () => {
    const budget = new ScriptedBudget();
    const { clock, policy } = setup(budget);
    let attempts = 0;
    const result = await settle(
      clock,
      policy.execute(() => (++attempts < 3 ? Promise.reject(new Error(`failure ${attempts}`)) : Promise.resolve('ok'))),
    );
    expect(result).toEqual({ value: 'ok' });
    expect(budget.log).toEqual(['call', 'retry', 'retry']);
    await settle(clock, policy.execute(() => 'first time'));
    expect(budget.log).toEqual(['call', 'retry', 'retry', 'call']);
    expect(policy.budgetExhaustedCount).toBe(0);
  });

  it('ends the call with the ORIGINAL error, unchanged, when the budget refuses the first retry', async () => {
    const budget = new ScriptedBudget([false]);
    const { clock, policy, giveUps } = setup(budget);
    const original = new TypeError('boom');
    const { operation, attempts } = failing([original]);
    const result = await settle(clock, policy.execute(operation));
    expect(result.error).toBe(original);
    expect(attempts()).toBe(1);
    expect(budget.log).toEqual(['call', 'refused']);
    expect(policy.budgetExhaustedCount).toBe(1);
    expect(policy.stats).toEqual({ successWithoutRetry: 0, successWithRetry: 0, failedWithRetry: 0, failedWithoutRetry: 1 });
    expect(giveUps).toEqual([{ name: 'retry', attempts: 1, error: original, budgetExhausted: true }]);
    expect(clock.pendingTimers).toBe(0); // no wait was started for the refused retry
  });

  it('rethrows the last error (a non-Error value too) when the budget refuses a later retry', async () => {
    const budget = new ScriptedBudget([true, false]);
    const { clock, policy, giveUps } = setup(budget);
    const { operation, attempts } = failing([new Error('first'), 'second, a string']);
    const result = await settle(clock, policy.execute(operation));
    expect(result.error).toBe('second, a string');
    expect(attempts()).toBe(2);
    expect(policy.stats.failedWithRetry).toBe(1);
    expect(giveUps).toEqual([{ name: 'retry', attempts: 2, error: 'second, a string', budgetExhausted: true }]);
  });

  it('returns the last result when the budget refuses a retry on a result (retryOnResult)', async () => {
    const budget = new ScriptedBudget([true, false]);
    const { clock, policy, giveUps } = setup(budget, { retryOnResult: (value) => value !== 'good' });
    let attempts = 0;
    const result = await settle(clock, policy.execute(() => `bad ${++attempts}`));
    expect(result).toEqual({ value: 'bad 2' });
    expect(giveUps).toEqual([{ name: 'retry', attempts: 2, result: 'bad 2', budgetExhausted: true }]);
    expect(policy.budgetExhaustedCount).toBe(1);
  });

  it('takes no token for a retry that would not run (not retryable, retries exhausted, deadline, cancelled)', async () => {
    const budget = new ScriptedBudget();
    const { clock, policy } = setup(budget, { retryOn: [RangeError], maxRetries: 1 });
    await settle(clock, policy.execute(() => Promise.reject(new Error('not retryable'))));
    expect(budget.log).toEqual(['call']);
    await settle(clock, policy.execute(() => Promise.reject(new RangeError('retryable'))));
    expect(budget.log).toEqual(['call', 'call', 'retry']); // the second failure ends at maxRetries
    budget.log.length = 0;
    const scope = ExecutionScope.root.child(clock.now() + 5); // the 10 ms wait would outlive it
    await settle(clock, policy.run(() => Promise.reject(new RangeError('late')), scope));
    expect(budget.log).toEqual(['call']);
    budget.log.length = 0;
    const cancelled = ExecutionScope.cancellable();
    cancelled.abort(new Error('cancelled'));
    await settle(clock, policy.run(() => 'never', cancelled));
    expect(budget.log).toEqual([]);
    expect(policy.budgetExhaustedCount).toBe(0);
  });

  it('survives a faulty budget: a throwing recordCall is ignored, a throwing tryRetry refuses', async () => {
    const budget: RetryBudget = {
      recordCall: () => {
        throw new Error('store down');
      },
      tryRetry: () => {
        throw new Error('store down');
      },
    };
    const { clock, policy } = setup(budget);
    const original = new Error('original');
    const { operation, attempts } = failing([original]);
    const result = await settle(clock, policy.execute(operation));
    expect(result.error).toBe(original);
    expect(attempts()).toBe(1);
    expect(policy.budgetExhaustedCount).toBe(1);
    expect(await settle(clock, policy.execute(() => 'fine'))).toEqual({ value: 'fine' });
  });

  it('treats anything but true from tryRetry as a refusal (a Promise from an async budget too)', async () => {
    const budget = { recordCall: () => undefined, tryRetry: () => Promise.resolve(true) as unknown as boolean };
    const { clock, policy } = setup(budget);
    const { operation, attempts } = failing([new Error('x')]);
    await settle(clock, policy.execute(operation));
    expect(attempts()).toBe(1);
  });

  describe('budget options', () => {
    it('build a token bucket of the policy’s own, on the policy’s clock', async () => {
      const { clock, policy } = setup({ ratio: 0.5, minRetriesPerSecond: 2, maxTokens: 2 }, { maxRetries: 10, baseDelay: 0 });
      expect(policy.budget).toBeInstanceOf(TokenBucketRetryBudget);
      const bucket = policy.budget as TokenBucketRetryBudget;
      expect([bucket.ratio, bucket.minRetriesPerSecond, bucket.maxTokens]).toEqual([0.5, 2, 2]);
      const first = failing([new Error('down')]);
      await settle(clock, policy.execute(first.operation));
      // Full bucket (2) + the call's deposit lost to the cap: two retries, three attempts.
      expect(first.attempts()).toBe(3);
      expect(policy.budgetExhaustedCount).toBe(1);
      clock.advance(250); // + 0.5 from the trickle, + 0.5 from the next call
      const second = failing([new Error('down')]);
      await settle(clock, policy.execute(second.operation));
      expect(second.attempts()).toBe(2);
      expect(policy.budgetExhaustedCount).toBe(2);
    });

    it('exhaust, then refill with time', async () => {
      const { clock, policy } = setup({ ratio: 0.1, minRetriesPerSecond: 1, maxTokens: 1 }, { maxRetries: 1, baseDelay: 0 });
      const attemptsPerCall: number[] = [];
      for (let i = 0; i < 3; i++) {
        const call = failing([new Error('down')]);
        await settle(clock, policy.execute(call.operation));
        attemptsPerCall.push(call.attempts());
      }
      expect(attemptsPerCall).toEqual([2, 1, 1]);
      // 0.2 left; the trickle is added up when a retry asks for a token.
      clock.advance(600);
      const fourth = failing([new Error('down')]);
      await settle(clock, policy.execute(fourth.operation));
      expect(fourth.attempts()).toBe(1); // 0.3 + 0.6
      const fifth = failing([new Error('down')]);
      await settle(clock, policy.execute(fifth.operation));
      expect(fifth.attempts()).toBe(2); // + 0.1: one token
      expect(policy.budgetExhaustedCount).toBe(3);
    });

    it('use a given RetryBudget as is (shared by several policies)', () => {
      const shared = new TokenBucketRetryBudget({ ratio: 0.1 });
      expect(new RetryPolicy({ budget: shared }).budget).toBe(shared);
      expect(new RetryPolicy({ budget: shared }).budget).toBe(shared);
      expect(new RetryPolicy({}).budget).toBeUndefined();
    });

    it('are validated with the policy’s path', () => {
      const invalid: Array<[unknown, string]> = [
        [{ ratio: 2 }, 'retries.pricing.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got 2)'],
        [null, 'retries.pricing.budget must be budget options ({ ratio, minRetriesPerSecond?, maxTokens? }) or a RetryBudget (got null)'],
        [0.1, 'retries.pricing.budget must be budget options ({ ratio, minRetriesPerSecond?, maxTokens? }) or a RetryBudget (got 0.1)'],
        [{ ratio: 0.1, maxTokens: 0 }, 'retries.pricing.budget.maxTokens must be a number of at least 1 (got 0)'],
      ];
      for (const [budget, message] of invalid) {
        const build = () => new RetryPolicy({ budget: budget as never, validationPath: 'retries.pricing' });
        expect(build).toThrow(InvalidOptionsError);
        expect(build).toThrow(message);
      }
    });
  });

  it('changes nothing when the budget always grants (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 10 }), async (calls) => {
        const play = async (budget: RetryBudget | undefined) => {
          const { clock, policy } = setup(budget, { maxRetries: 3 });
          const outcomes: unknown[] = [];
          for (const script of calls) {
            let attempt = 0;
            const outcome = await settle(
              clock,
              policy.execute(() => (script[Math.min(attempt++, script.length - 1)] ? 'ok' : Promise.reject(new Error('no')))),
            );
            outcomes.push([outcome, attempt]);
          }
          return { outcomes, stats: policy.stats };
        };
        expect(await play(new ScriptedBudget([], true))).toEqual(await play(undefined));
      }),
      { numRuns: 50 },
    );
  });

  it('applies to Observables through withRetry: a refused retry errors with the original error', async () => {
    const budget = new ScriptedBudget([true, false]);
    const clock = new FakeClock();
    const policy = new RetryPolicy({ clock, jitter: 'none', baseDelay: 0, maxRetries: 5, budget });
    let subscriptions = 0;
    const original = new Error('stream failed');
    const source = defer(() => {
      subscriptions++;
      return throwError(() => original);
    });
    const result = firstValueFrom(source.pipe(withRetry(policy))).catch((error: unknown) => error);
    await clock.runAllAsync();
    expect(await result).toBe(original);
    expect(subscriptions).toBe(2);
    expect(budget.log).toEqual(['call', 'retry', 'refused']);
  });
});
