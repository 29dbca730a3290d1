import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication, type Provider } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FakeClock } from '@bulwark/core';
import {
  Bulkhead,
  BulkheadRegistry,
  CircuitBreaker,
  CircuitBreakerRegistry,
  ResilienceModule,
  Retry,
  RetryRegistry,
  Timeout,
  TimeoutRegistry,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { bootApp } from './support/app.js';
import { settle } from './support/async.js';

const START = Date.UTC(2030, 0, 1);

class HttpError extends Error {}
class DbError extends Error {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(options: ResilienceModuleOptions, providers: Provider[]): Promise<INestApplication> {
  app = await bootApp('express', { imports: [ResilienceModule.forRoot({ clock: new FakeClock(START), ...options })], providers });
  return app;
}

/** Boots expecting start-up to fail; returns the error and closes whatever was created. */
async function startupError(options: ResilienceModuleOptions, providers: Provider[]): Promise<Error> {
  const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot(options)], providers }).compile();
  const nest = moduleRef.createNestApplication({ logger: false });
  try {
    await nest.init();
  } catch (error) {
    return error as Error;
  } finally {
    await nest.close();
  }
  throw new Error('start-up succeeded');
}

@Injectable()
class Pricing {
  calls = 0;
  @CircuitBreaker({ name: 'pricing', failureThreshold: 2, recoveryTimeout: 7_000 })
  @Retry({ name: 'pricing', maxRetries: 3, baseDelay: 0, jitter: 'none' })
  @Timeout({ name: 'pricing', duration: 500 })
  async price(): Promise<number> {
    this.calls++;
    throw new Error('pricing down');
  }

  @Bulkhead({ name: 'reports', maxConcurrent: 1, maxQueue: 3 })
  async report(): Promise<string> {
    return 'report';
  }
}

describe('module options for a name override a decorator’s inline options, field by field', () => {
  it('the module value wins for a field both set; an inline field the module does not set still applies', async () => {
    await boot(
      {
        defaults: { circuitBreaker: { recoveryTimeout: 1_000, halfOpenMaxCalls: 2 }, bulkhead: { maxQueue: 9 } },
        circuitBreakers: { pricing: { failureThreshold: 5 } },
        retries: { pricing: { maxRetries: 1 } },
        timeouts: { pricing: 50 },
        bulkheads: { reports: { maxConcurrent: 4 } },
      },
      [Pricing],
    );
    // module (5) > inline (2); inline (7 000) > defaults (1 000); defaults where neither says anything.
    expect(app!.get(CircuitBreakerRegistry).get('pricing')!.options).toMatchObject({
      failureThreshold: 5,
      recoveryTimeout: 7_000,
      halfOpenMaxCalls: 2,
    });
    expect(app!.get(TimeoutRegistry).get('pricing')!.duration).toBe(50);
    expect(app!.get(BulkheadRegistry).get('reports')).toMatchObject({ maxConcurrent: 4, maxQueue: 3 });
    // retries.pricing.maxRetries (1) wins over the decorator's 3: two attempts per call.
    const pricing = app!.get(Pricing);
    await expect(pricing.price()).rejects.toThrow('pricing down');
    expect(pricing.calls).toBe(2);
    // Two failures would open a breaker with the decorator's threshold; the module's is 5.
    expect(app!.get(CircuitBreakerRegistry).get('pricing')!.state).toBe('closed');
  });

  it('a decorator’s duration overrides a built-in profile, and timeouts.<name> overrides both', async () => {
    @Injectable()
    class Profiles {
      @Timeout({ name: 'internal', duration: 700 })
      async internal(): Promise<void> {}
      @Timeout({ name: 'database', duration: 700 })
      async database(): Promise<void> {}
    }
    await boot({ timeouts: { database: 40 } }, [Profiles]);
    const timeouts = app!.get(TimeoutRegistry);
    expect([timeouts.get('internal')!.duration, timeouts.get('database')!.duration, timeouts.get('external')!.duration]).toEqual([700, 40, 10_000]);
  });

  it('a configured policy read before discovery (in a constructor) already has the decorator’s inline fields', async () => {
    @Injectable()
    class EarlyReader {
      readonly threshold: number;
      readonly recovery: number;
      constructor(breakers: CircuitBreakerRegistry) {
        const pricing = breakers.get('pricing')!;
        this.threshold = pricing.options.failureThreshold;
        this.recovery = pricing.options.recoveryTimeout;
      }
    }
    await boot({ circuitBreakers: { pricing: { failureThreshold: 5 } } }, [EarlyReader, Pricing]);
    const reader = app!.get(EarlyReader);
    expect([reader.threshold, reader.recovery]).toEqual([5, 7_000]);
    expect(app!.get(CircuitBreakerRegistry).get('pricing')!.options.recoveryTimeout).toBe(7_000);
  });

  it('applies to per-key families too', async () => {
    @Injectable()
    class Partners {
      @CircuitBreaker({ name: 'partners', key: (id: string) => id, failureThreshold: 2, recoveryTimeout: 5_000 })
      async load(id: string): Promise<string> {
        return id;
      }
    }
    await boot({ circuitBreakers: { partners: { failureThreshold: 4 } } }, [Partners]);
    await app!.get(Partners).load('acme');
    const breaker = app!.get(CircuitBreakerRegistry).family('partners')!.peek('acme')!;
    expect(breaker.options).toMatchObject({ failureThreshold: 4, recoveryTimeout: 5_000 });
  });

  it('does not depend on which method naming a policy is discovered first', async () => {
    @Injectable()
    class RefersFirst {
      @CircuitBreaker('shared')
      @Retry({ maxRetries: 1, baseDelay: 0 })
      async a(): Promise<void> {}
    }
    @Injectable()
    class ConfiguresSecond {
      @CircuitBreaker({ name: 'shared', failureThreshold: 1 })
      async b(): Promise<void> {}
    }
    await boot({}, [RefersFirst, ConfiguresSecond]);
    expect(app!.get(CircuitBreakerRegistry).get('shared')!.options.failureThreshold).toBe(1);
  });
});

describe('decorators that disagree about one name', () => {
  it('fail start-up naming both, comparing classes by identity (retryOn: [HttpError] vs [DbError])', async () => {
    @Injectable()
    class Orders {
      @Retry({ name: 'backend', retryOn: [HttpError] })
      async place(): Promise<void> {}
    }
    @Injectable()
    class Ledger {
      @Retry({ name: 'backend', retryOn: [DbError] })
      async book(): Promise<void> {}
    }
    const error = await startupError({}, [Orders, Ledger]);
    expect(error.message).toBe(
      'Retry policy "backend" is configured differently by @Retry(Orders.place) and @Retry(Ledger.book); ' +
        'configure it once, in the module options, and refer to it by name.',
    );
  });

  it('fail even when the module configures the name', async () => {
    @Injectable()
    class One {
      @CircuitBreaker({ name: 'pricing', failureThreshold: 1 })
      async a(): Promise<void> {}
    }
    @Injectable()
    class Two {
      @CircuitBreaker({ name: 'pricing', failureThreshold: 3 })
      async b(): Promise<void> {}
    }
    const error = await startupError({ circuitBreakers: { pricing: { failureThreshold: 5 } } }, [One, Two]);
    expect(error.message).toContain('Circuit breaker "pricing" is configured differently by @CircuitBreaker(One.a) and @CircuitBreaker(Two.b)');
  });

  it('equal inline options (same class references, equal values) share one policy', async () => {
    @Injectable()
    class Reads {
      attempts = 0;
      @Retry({ name: 'db', retryOn: [DbError], maxRetries: 1, baseDelay: 0 })
      @CircuitBreaker({ name: 'db', window: { type: 'count', size: 10 }, minimumCalls: 2 })
      async read(): Promise<void> {
        this.attempts++;
        throw new DbError('db down');
      }
    }
    @Injectable()
    class Writes {
      @Retry({ name: 'db', retryOn: [DbError], maxRetries: 1, baseDelay: 0 })
      @CircuitBreaker({ name: 'db', window: { type: 'count', size: 10 }, minimumCalls: 2 })
      async write(): Promise<void> {}
    }
    await boot({}, [Reads, Writes]);
    expect(app!.get(RetryRegistry).names()).toEqual(['db']);
    expect(app!.get(CircuitBreakerRegistry).names()).toEqual(['db']);
    const reads = app!.get(Reads);
    await expect(reads.read()).rejects.toBeInstanceOf(DbError);
    expect(reads.attempts).toBe(2);
  });
});

describe('options known only after the policy was built', () => {
  @Injectable()
  class FromFactory {
    @CircuitBreaker({ name: 'pricing', failureThreshold: 2 })
    async price(): Promise<void> {}
  }
  // Built after the registries (it needs one), so its class is unknown when configured breakers are built.
  const fromFactory: Provider = { provide: 'pricing-client', inject: [CircuitBreakerRegistry], useFactory: () => new FromFactory() };

  it('fail start-up when they would change it (a factory provider is read at discovery)', async () => {
    const error = await startupError({ circuitBreakers: { pricing: { critical: true } } }, [fromFactory]);
    expect(error.message).toBe(
      '@CircuitBreaker(FromFactory.price) gives options for circuit breaker "pricing", which circuitBreakers.pricing already built ' +
        'without them; give them in the module options for "pricing" instead.',
    );
  });

  it('are fine when the module options for the name set those fields anyway', async () => {
    @Module({ providers: [fromFactory], exports: [fromFactory] })
    class ClientModule {}
    app = await bootApp('express', {
      imports: [ResilienceModule.forRoot({ circuitBreakers: { pricing: { failureThreshold: 3 } } }), ClientModule],
    });
    expect(app.get(CircuitBreakerRegistry).get('pricing')!.options.failureThreshold).toBe(3);
  });
});

describe('timeout profile names', () => {
  @Injectable()
  class Typo {
    @Timeout('externl')
    async call(): Promise<void> {}
  }

  it('an unknown profile fails start-up, strict or not, naming the decorator, the name and the known names', async () => {
    const error = await startupError({ timeouts: { search: 200 } }, [Typo]);
    expect(error.message).toBe(
      `@Timeout('externl') on Typo.call: "externl" is neither a built-in timeout profile nor configured in timeouts ` +
        `(known: database, internal, external, health, search); fix the name, add it to ResilienceModule.forRoot({ timeouts: { externl: ms } }), ` +
        `or give its duration: @Timeout({ name: 'externl', duration: ms }).`,
    );
  });

  it('a number of ms, a profile, a configured name or a name a decorator defines with a duration are fine', async () => {
    @Injectable()
    class Known {
      @Timeout(250)
      async ms(): Promise<void> {}
      @Timeout('external')
      async profile(): Promise<void> {}
      @Timeout('search')
      async configured(): Promise<void> {}
      @Timeout('ledger')
      async refers(): Promise<string> {
        return new Promise(() => {});
      }
      @Timeout({ name: 'ledger', duration: 80 })
      async defines(): Promise<void> {}
    }
    const clock = new FakeClock(START);
    await boot({ clock, timeouts: { search: 200 } }, [Known]);
    const call = settle(app!.get(Known).refers());
    await clock.tickAsync(80);
    await call.promise;
    expect(call.error).toMatchObject({ name: 'TimeoutError', policyName: 'ledger', duration: 80 });
  });
});
