import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import { FakeClock, TokenBucketRetryBudget, type ResilienceStore, type RetryBudget } from '@bulwark/core';
import { InvalidOptionsError, ResilienceModule, Retry, RetryRegistry, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { bootApp } from './support/app.js';

@Injectable()
class Flaky {
  attempts = 0;
  lastError: Error | undefined;
  @Retry('flaky')
  async call(): Promise<string> {
    this.attempts++;
    this.lastError = new Error(`down #${this.attempts}`);
    throw this.lastError;
  }
}

/** The token bucket a policy builds from budget options (read through its public fields). */
interface Bucket extends RetryBudget {
  readonly ratio: number;
  readonly minRetriesPerSecond: number;
  readonly maxTokens: number;
  readonly tokens: number;
}

/** The policy's budget when it is a token bucket built from options, else a failed expectation. */
function bucketOf(budget: RetryBudget | undefined): Bucket {
  expect(budget).toBeInstanceOf(TokenBucketRetryBudget);
  return budget as Bucket;
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(options: ResilienceModuleOptions): Promise<{ flaky: Flaky; registry: RetryRegistry }> {
  app = await bootApp('express', { imports: [ResilienceModule.forRoot(options)], providers: [Flaky] });
  return { flaky: app.get(Flaky), registry: app.get(RetryRegistry) };
}

/** Makes `count` calls one after another, each driven to its end on the fake clock; checks each rejects with its last attempt's error. */
async function failingCalls(clock: FakeClock, flaky: Flaky, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const outcome = flaky.call().then(
      () => undefined,
      (error: unknown) => error,
    );
    await clock.runAllAsync();
    const error = await outcome;
    expect(error).toBe(flaky.lastError); // the original error, unchanged
  }
}

describe('retry budget through the module options', () => {
  it('limits the retries of a decorated method to 10% of 100 failing calls, plus the initial tokens', async () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const { flaky, registry } = await boot({ clock, retries: { flaky: { budget: { ratio: 0.1, minRetriesPerSecond: 0 } } } });
    const policy = registry.get('flaky')!;
    const budget = bucketOf(policy.budget);
    const initialTokens = budget.tokens;
    expect(initialTokens).toBe(10);

    await failingCalls(clock, flaky, 100);

    const retries = flaky.attempts - 100;
    expect(retries).toBeLessThanOrEqual(10 + initialTokens);
    // Exactly: the 10 initial tokens, plus 0.1 from each call but the first (its deposit fell on a full bucket).
    expect(retries).toBe(Math.floor(initialTokens + 99 * 0.1 + 1e-9));
    expect(policy.budgetExhaustedCount).toBe(100 - 3); // the first three calls made all 3 of their retries
    expect(policy.stats.failedWithRetry + policy.stats.failedWithoutRetry).toBe(100);
  });

  it('leaves a policy without a budget unchanged: every call makes its 3 retries', async () => {
    const clock = new FakeClock(Date.UTC(2030, 0, 1));
    const { flaky, registry } = await boot({ clock, retries: { flaky: {} } });
    expect(registry.get('flaky')!.budget).toBeUndefined();
    await failingCalls(clock, flaky, 20);
    expect(flaky.attempts).toBe(80);
  });

  it('fails start-up on invalid budget options, naming the policy and the field', async () => {
    const attempt = boot({ retries: { flaky: { budget: { ratio: 10 } } } });
    const error = await attempt.then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe(
      'retries.flaky.budget.ratio must be a number greater than 0 and at most 1 (0.1 = retries up to 10% of calls) (got 10)',
    );
  });
});

describe('RetryRegistry: which budget applies', () => {
  /** A store that hands out one recognisable budget per name, and records who asked. */
  function fleetStore(keepsBudgets = true) {
    const budgets = new Map<string, RetryBudget>();
    const asked: string[] = [];
    const store: ResilienceStore = {
      attachCircuitBreaker: () => undefined,
      detachCircuitBreaker: () => undefined,
      close: () => Promise.resolve(),
    };
    if (keepsBudgets) {
      store.retryBudget = (name) => {
        asked.push(name);
        const budget = { recordCall: () => undefined, tryRetry: () => true };
        budgets.set(name, budget);
        return budget;
      };
    }
    return { store, budgets, asked };
  }

  const registry = (options: ResilienceModuleOptions) => new RetryRegistry(options);

  it('gives every retry policy the store’s fleet budget, over defaults.retry.budget', () => {
    const { store, budgets, asked } = fleetStore();
    const retries = registry({ store, defaults: { retry: { budget: { ratio: 0.5 } } }, retries: { pricing: {}, stock: { maxRetries: 1 } } });
    expect(retries.get('pricing')!.budget).toBe(budgets.get('pricing'));
    expect(retries.get('stock')!.budget).toBe(budgets.get('stock'));
    expect(retries.getOrCreate('Decorated.method').budget).toBe(budgets.get('Decorated.method'));
    expect(asked).toEqual(['pricing', 'stock', 'Decorated.method']);
  });

  it('lets a budget given for one policy (configured, decorator or create) override the store’s, without asking the store', () => {
    const { store, asked } = fleetStore();
    const shared: RetryBudget = { recordCall: () => undefined, tryRetry: () => false };
    const retries = registry({ store, retries: { pricing: { budget: { ratio: 0.3 } }, stock: { budget: shared } } });
    expect(bucketOf(retries.get('pricing')!.budget).ratio).toBe(0.3);
    expect(retries.get('stock')!.budget).toBe(shared);
    expect(bucketOf(retries.getOrCreate('Decorated.method', { budget: { ratio: 0.4 } }).budget).ratio).toBe(0.4);
    expect(bucketOf(retries.create('manual', { budget: { ratio: 0.6 } }).budget).ratio).toBe(0.6);
    expect(asked).toEqual([]);
  });

  it('falls back to defaults.retry.budget (a bucket per policy) when the store keeps no budget', () => {
    const { store } = fleetStore(false);
    const retries = registry({ store, defaults: { retry: { budget: { ratio: 0.5, maxTokens: 3 } } }, retries: { pricing: {}, stock: {} } });
    const pricing = bucketOf(retries.get('pricing')!.budget);
    const stock = bucketOf(retries.get('stock')!.budget);
    expect([pricing.ratio, pricing.maxTokens]).toEqual([0.5, 3]);
    expect(stock).not.toBe(pricing);
  });

  it('builds no budget without a store or a budget option', () => {
    expect(registry({ retries: { pricing: {} } }).get('pricing')!.budget).toBeUndefined();
  });

  it('runs the module clock in a configured bucket', () => {
    const clock = new FakeClock(0);
    const retries = registry({ clock, retries: { pricing: { budget: { ratio: 0.1, minRetriesPerSecond: 10, maxTokens: 10 } } } });
    const bucket = bucketOf(retries.get('pricing')!.budget);
    for (let i = 0; i < 10; i++) expect(bucket.tryRetry()).toBe(true);
    expect(bucket.tryRetry()).toBe(false);
    clock.advance(100);
    expect(bucket.tryRetry()).toBe(true);
  });
});
