import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Observable, lastValueFrom, throwError } from 'rxjs';
import {
  BulkheadPolicy,
  CircuitBreakerPolicy,
  FakeClock,
  RetryPolicy,
  TimeoutPolicy,
} from '@bulwark/core';
import { withCircuitBreaker, withRetry } from '@bulwark/core/rxjs';
import {
  Bulkhead,
  BulkheadRegistry,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  InvalidOptionsError,
  ResilienceModule,
  Retry,
  RetryRegistry,
  Timeout,
  TimeoutRegistry,
} from '@bulwark/nestjs';
import { bootApp } from './support/app.js';
import { deferred, settle } from './support/async.js';

const START = Date.UTC(2030, 0, 1);

/** Creates a breaker programmatically before discovery; a decorator then names it. */
@Injectable()
class Inventory {
  readonly breaker: CircuitBreakerPolicy;
  calls = 0;
  constructor(breakers: CircuitBreakerRegistry) {
    this.breaker = breakers.create('inventory', { failureThreshold: 1 });
  }
  @CircuitBreaker('inventory')
  async stock(): Promise<number> {
    this.calls++;
    throw new Error('inventory down');
  }
}

@Injectable()
class Pricing {
  calls = 0;
  gate = deferred<void>();
  @CircuitBreaker('pricing')
  @Retry('pricing')
  @Timeout('pricing')
  async price(): Promise<number> {
    this.calls++;
    return 42;
  }
  @Bulkhead('reports')
  async report(): Promise<string> {
    await this.gate.promise;
    return 'report';
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(clock = new FakeClock(START)): Promise<INestApplication> {
  app = await bootApp('express', {
    imports: [
      ResilienceModule.forRoot({
        clock,
        defaults: { circuitBreaker: { recoveryTimeout: 7_000 } },
        circuitBreakers: { pricing: { failureThreshold: 2 }, unused: {} },
        retries: { pricing: { maxRetries: 2, baseDelay: 0 } },
        timeouts: { pricing: 800 },
        bulkheads: { reports: { maxConcurrent: 1 } },
      }),
    ],
    providers: [Inventory, Pricing],
  });
  return app;
}

describe('registries', () => {
  it('look policies up by name and list them (configured ones exist from start-up)', async () => {
    await boot();
    const breakers = app!.get(CircuitBreakerRegistry);
    expect(breakers.names()).toEqual(['pricing', 'unused', 'inventory']);
    expect(breakers.list().map((breaker) => breaker.name)).toEqual(['pricing', 'unused', 'inventory']);
    expect(breakers.get('pricing')).toBeInstanceOf(CircuitBreakerPolicy);
    expect(breakers.get('pricing')!.options).toMatchObject({ failureThreshold: 2, recoveryTimeout: 7_000 });
    expect(breakers.has('unused')).toBe(true);
    expect(breakers.get('nope')).toBeUndefined();
    expect(breakers.has('nope')).toBe(false);

    expect(app!.get(RetryRegistry).names()).toEqual(['pricing']);
    expect(app!.get(RetryRegistry).get('pricing')).toBeInstanceOf(RetryPolicy);
    expect(app!.get(TimeoutRegistry).names()).toEqual(['database', 'internal', 'external', 'health', 'pricing']);
    expect(app!.get(TimeoutRegistry).get('pricing')).toBeInstanceOf(TimeoutPolicy);
    expect(app!.get(TimeoutRegistry).get('pricing')!.duration).toBe(800);
    expect(app!.get(BulkheadRegistry).get('reports')).toBeInstanceOf(BulkheadPolicy);
  });

  it('create policies programmatically, from the defaults and the module clock; names are unique', async () => {
    const clock = new FakeClock(START);
    await boot(clock);
    const breakers = app!.get(CircuitBreakerRegistry);
    const created = breakers.create('search', { failureThreshold: 1 });
    expect(breakers.get('search')).toBe(created);
    expect(created.options).toMatchObject({ failureThreshold: 1, recoveryTimeout: 7_000 });
    await expect(created.execute(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    await expect(created.execute(() => 1)).rejects.toMatchObject({ retryAfterMs: 7_000 });
    await clock.tickAsync(7_000);
    expect(created.trialDue).toBe(true);
    await expect(created.execute(() => 2)).resolves.toBe(2);
    expect(() => breakers.create('search')).toThrow('A circuit breaker named "search" already exists');
    expect(() => breakers.create('broken', { failureThreshold: -1 })).toThrow(InvalidOptionsError);

    const retry = app!.get(RetryRegistry).create('manual', { maxRetries: 1, baseDelay: 0 });
    let attempts = 0;
    await expect(
      retry.execute(() => {
        attempts++;
        throw new Error(`attempt ${attempts}`);
      }),
    ).rejects.toThrow('attempt 2');

    const timeout = app!.get(TimeoutRegistry).create('manual', { duration: 30 });
    const slow = settle(timeout.execute(() => new Promise(() => {})));
    await clock.tickAsync(30);
    await slow.promise;
    expect(slow.error).toMatchObject({ name: 'TimeoutError', policyName: 'manual', duration: 30 });

    const bulkhead = app!.get(BulkheadRegistry).create('manual', { maxConcurrent: 1 });
    expect(bulkhead).toBeInstanceOf(BulkheadPolicy);
    expect(bulkhead).toMatchObject({ maxConcurrent: 1 });
    expect(app!.get(BulkheadRegistry).names()).toEqual(['reports', 'manual']);
  });

  it('share instances with the decorators (force open, reset, disable)', async () => {
    await boot();
    const breakers = app!.get(CircuitBreakerRegistry);
    const pricing = app!.get(Pricing);
    await expect(pricing.price()).resolves.toBe(42);
    breakers.forceOpen('pricing');
    await expect(pricing.price()).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(pricing.price()).rejects.toMatchObject({ retryAfterMs: Infinity, message: 'Circuit breaker "pricing" is forced-open' });
    expect(pricing.calls).toBe(1);
    breakers.reset('pricing');
    await expect(pricing.price()).resolves.toBe(42);
    expect(breakers.get('pricing')!.snapshot().calls).toMatchObject({ success: 2, notPermitted: 2 });
    breakers.forceOpen('pricing');
    breakers.disable('pricing');
    await expect(pricing.price()).resolves.toBe(42);
    expect(breakers.get('pricing')!.state).toBe('disabled');
    expect(pricing.calls).toBe(3);
    expect(() => breakers.forceOpen('nope')).toThrow('Unknown circuit breaker "nope"');
    expect(() => breakers.disable('nope')).toThrow('Unknown circuit breaker "nope"');
    expect(() => breakers.reset('nope')).toThrow('Unknown circuit breaker "nope"');
  });

  it('a breaker created in a constructor is the one a decorator names', async () => {
    await boot();
    const inventory = app!.get(Inventory);
    expect(app!.get(CircuitBreakerRegistry).get('inventory')).toBe(inventory.breaker);
    await expect(inventory.stock()).rejects.toThrow('inventory down');
    expect(inventory.breaker.state).toBe('open');
    await expect(inventory.stock()).rejects.toMatchObject({ breakerName: 'inventory' });
    expect(inventory.calls).toBe(1);
  });

  it('a named bulkhead is shared by the decorator and programmatic use', async () => {
    await boot();
    const pricing = app!.get(Pricing);
    const bulkhead = app!.get(BulkheadRegistry).get('reports')!;
    const running = pricing.report();
    expect(bulkhead.running).toBe(1);
    await expect(bulkhead.execute(() => 'manual')).rejects.toMatchObject({ name: 'BulkheadFullError', policyName: 'reports' });
    pricing.gate.resolve();
    await expect(running).resolves.toBe('report');
    await expect(bulkhead.execute(() => 'manual')).resolves.toBe('manual');
  });

  it('policies from the registries work in RxJS pipes and share state with the decorators', async () => {
    await boot();
    const breaker = app!.get(CircuitBreakerRegistry).get('pricing')!;
    const retry = app!.get(RetryRegistry).get('pricing')!;
    let subscriptions = 0;
    const failing = new Observable<number>((subscriber) => {
      subscriptions++;
      subscriber.error(new Error('stream failed'));
    });
    // retries: pricing has maxRetries 2 -> 3 subscriptions; the breaker (threshold 2) opens on the second.
    await expect(lastValueFrom(failing.pipe(withCircuitBreaker(breaker), withRetry(retry)))).rejects.toBeInstanceOf(CircuitOpenError);
    expect(subscriptions).toBe(2);
    expect(breaker.state).toBe('open');
    // The decorated method uses that very breaker.
    await expect(app!.get(Pricing).price()).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(lastValueFrom(throwError(() => new Error('x')).pipe(withCircuitBreaker(breaker)))).rejects.toBeInstanceOf(CircuitOpenError);
  });

  it('two decorators configuring one name differently fail start-up', async () => {
    @Injectable()
    class First {
      @CircuitBreaker({ name: 'clash', failureThreshold: 1 })
      async a(): Promise<void> {}
    }
    @Injectable()
    class Second {
      @CircuitBreaker({ name: 'clash', failureThreshold: 2 })
      async b(): Promise<void> {}
    }
    const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot()], providers: [First, Second] }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await expect(nest.init()).rejects.toThrow(
      'Circuit breaker "clash" is configured differently by @CircuitBreaker(First.a) and @CircuitBreaker(Second.b); ' +
        'configure it once, in the module options, and refer to it by name.',
    );
    await nest.close();
  });
});
