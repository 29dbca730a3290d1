import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Param, type INestApplication, type OnModuleInit } from '@nestjs/common';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import {
  Bulkhead,
  BulkheadFullError,
  BulkheadRegistry,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  Fallback,
  ResilienceModule,
  Retry,
  RetryRegistry,
  Timeout,
  TimeoutError,
  TimeoutRegistry,
  currentSignal,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { bootApp, CapturingLogger, PLATFORMS } from './support/app.js';
import { deferred, settle, type Deferred } from './support/async.js';

class Boom extends Error {
  override readonly name = 'Boom';
}
class Other extends Error {
  override readonly name = 'Other';
}

const START = Date.UTC(2030, 0, 1);

/** A call that only ends when its signal aborts (with the abort reason). */
function untilAborted(): Promise<never> {
  const signal = currentSignal();
  if (signal === undefined) return Promise.reject(new Error('no currentSignal() inside a resilient call'));
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(options: ResilienceModuleOptions, providers: unknown[], controllers: unknown[] = []): Promise<INestApplication> {
  app = await bootApp('express', {
    imports: [ResilienceModule.forRoot(options)],
    providers: providers as never[],
    controllers: controllers as never[],
  });
  return app;
}

describe('@CircuitBreaker argument forms', () => {
  @Injectable()
  class Breakers {
    fail = true;
    calls = 0;
    private body(): string {
      this.calls++;
      if (this.fail) throw new Boom('down');
      return 'ok';
    }
    @CircuitBreaker()
    async bare(): Promise<string> {
      return this.body();
    }
    @CircuitBreaker('named')
    async named(): Promise<string> {
      return this.body();
    }
    @CircuitBreaker({ name: 'custom', failureThreshold: 2, recoveryTimeout: 1_000 })
    async nameAndOverrides(): Promise<string> {
      return this.body();
    }
    @CircuitBreaker({ failureThreshold: 1 })
    async overridesOnly(): Promise<string> {
      return this.body();
    }
  }

  it('() creates `ClassName.methodName` with the defaults (opens after 5 failures)', async () => {
    await boot({ clock: new FakeClock(START) }, [Breakers]);
    const svc = app!.get(Breakers);
    const breakers = app!.get(CircuitBreakerRegistry);
    const breaker = breakers.get('Breakers.bare')!;
    expect(breaker.options.failureThreshold).toBe(5);
    expect(breaker.options.recoveryTimeout).toBe(30_000);
    for (let i = 0; i < 4; i++) await expect(svc.bare()).rejects.toBeInstanceOf(Boom);
    expect(breaker.state).toBe('closed');
    await expect(svc.bare()).rejects.toBeInstanceOf(Boom);
    expect(breaker.state).toBe('open');
    await expect(svc.bare()).rejects.toMatchObject({ name: 'CircuitOpenError', breakerName: 'Breakers.bare', retryAfterMs: 30_000 });
    expect(svc.calls).toBe(5);
  });

  it('(name) uses the configured breaker of that name', async () => {
    await boot({ clock: new FakeClock(START), circuitBreakers: { named: { failureThreshold: 1 } } }, [Breakers]);
    const svc = app!.get(Breakers);
    await expect(svc.named()).rejects.toBeInstanceOf(Boom);
    await expect(svc.named()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(app!.get(CircuitBreakerRegistry).get('named')!.state).toBe('open');
    expect(svc.calls).toBe(1);
  });

  it('({ name, ...overrides }) creates the named breaker with the overrides', async () => {
    await boot({ clock: new FakeClock(START) }, [Breakers]);
    const svc = app!.get(Breakers);
    const breaker = app!.get(CircuitBreakerRegistry).get('custom')!;
    expect(breaker.options).toMatchObject({ failureThreshold: 2, recoveryTimeout: 1_000 });
    await expect(svc.nameAndOverrides()).rejects.toBeInstanceOf(Boom);
    await expect(svc.nameAndOverrides()).rejects.toBeInstanceOf(Boom);
    await expect(svc.nameAndOverrides()).rejects.toMatchObject({ breakerName: 'custom', retryAfterMs: 1_000 });
  });

  it('({ ...overrides }) without a name uses `ClassName.methodName`', async () => {
    await boot({ clock: new FakeClock(START) }, [Breakers]);
    const svc = app!.get(Breakers);
    expect(app!.get(CircuitBreakerRegistry).get('Breakers.overridesOnly')!.options.failureThreshold).toBe(1);
    await expect(svc.overridesOnly()).rejects.toBeInstanceOf(Boom);
    await expect(svc.overridesOnly()).rejects.toMatchObject({ breakerName: 'Breakers.overridesOnly' });
    expect(svc.calls).toBe(1);
  });
});

describe('@Retry argument forms', () => {
  @Injectable()
  class Retries {
    calls: Record<string, number> = {};
    private body(key: string): never {
      this.calls[key] = (this.calls[key] ?? 0) + 1;
      throw new Boom(`${key} #${this.calls[key]}`);
    }
    @Retry()
    async bare(): Promise<string> {
      return this.body('bare');
    }
    @Retry('twice')
    async named(): Promise<string> {
      return this.body('named');
    }
    @Retry({ name: 'once', maxRetries: 1, baseDelay: 1 })
    async nameAndOverrides(): Promise<string> {
      return this.body('nameAndOverrides');
    }
    @Retry({ maxRetries: 4, jitter: 'none', baseDelay: 10 })
    async overridesOnly(): Promise<string> {
      return this.body('overridesOnly');
    }
  }

  it('() retries 3 times with backoff (4 attempts) and rethrows the last original error', async () => {
    const clock = new FakeClock(START);
    await boot({ clock }, [Retries]);
    const svc = app!.get(Retries);
    const call = settle(svc.bare());
    await clock.runAllAsync();
    await call.promise;
    expect(svc.calls['bare']).toBe(4);
    expect(call.error).toBeInstanceOf(Boom);
    expect((call.error as Error).message).toBe('bare #4');
    expect(app!.get(RetryRegistry).names()).toContain('Retries.bare');
  });

  it('(name) uses the configured policy', async () => {
    const clock = new FakeClock(START);
    await boot({ clock, retries: { twice: { maxRetries: 2, baseDelay: 0 } } }, [Retries]);
    const svc = app!.get(Retries);
    await expect(svc.named()).rejects.toThrow('named #3');
    expect(svc.calls['named']).toBe(3);
  });

  it('({ name, ...overrides }) and ({ ...overrides })', async () => {
    const clock = new FakeClock(START);
    await boot({ clock }, [Retries]);
    const svc = app!.get(Retries);
    const first = settle(svc.nameAndOverrides());
    await clock.runAllAsync();
    await first.promise;
    expect((first.error as Error).message).toBe('nameAndOverrides #2');
    expect(app!.get(RetryRegistry).has('once')).toBe(true);

    // jitter 'none', base 10, x2: delays 10, 20, 40, 80 -> the 5th attempt at +150 ms exactly.
    const second = settle(svc.overridesOnly());
    await clock.tickAsync(149);
    expect(svc.calls['overridesOnly']).toBe(4);
    expect(second.state).toBe('pending');
    await clock.tickAsync(1);
    await second.promise;
    expect(svc.calls['overridesOnly']).toBe(5);
    expect((second.error as Error).message).toBe('overridesOnly #5');
    expect(app!.get(RetryRegistry).has('Retries.overridesOnly')).toBe(true);
  });
});

describe('@Timeout argument forms', () => {
  @Injectable()
  class Timeouts {
    @Timeout()
    async bare(): Promise<string> {
      return untilAborted();
    }
    @Timeout(250)
    async millis(): Promise<string> {
      return untilAborted();
    }
    @Timeout('internal')
    async profile(): Promise<string> {
      return untilAborted();
    }
    @Timeout({ duration: 700 })
    async options(): Promise<string> {
      return untilAborted();
    }
    @Timeout('slowQueries')
    async configured(): Promise<string> {
      return untilAborted();
    }
  }

  const cases: [keyof Timeouts, number, string][] = [
    ['bare', 10_000, 'Timeouts.bare'],
    ['millis', 250, 'Timeouts.millis'],
    ['profile', 3_000, 'internal'],
    ['options', 700, 'Timeouts.options'],
    ['configured', 1_234, 'slowQueries'],
  ];

  it.each(cases)('%s() times out after exactly %i ms with TimeoutError "%s"', async (method, duration, name) => {
    const clock = new FakeClock(START);
    await boot({ clock, timeouts: { slowQueries: 1_234 } }, [Timeouts]);
    const svc = app!.get(Timeouts);
    const call = settle(svc[method]());
    await clock.tickAsync(duration - 1);
    expect(call.state).toBe('pending');
    await clock.tickAsync(1);
    await call.promise;
    expect(call.state).toBe('rejected');
    expect(call.error).toBeInstanceOf(TimeoutError);
    expect(call.error).toMatchObject({ policyName: name, duration });
    expect(app!.get(TimeoutRegistry).get(name)!.duration).toBe(duration);
  });
});

describe('@Bulkhead argument forms', () => {
  @Injectable()
  class Bulkheads {
    gate: Deferred<void> = deferred();
    running = 0;
    private async body(): Promise<string> {
      this.running++;
      await this.gate.promise;
      this.running--;
      return 'done';
    }
    @Bulkhead()
    async bare(): Promise<string> {
      return this.body();
    }
    @Bulkhead('reports')
    async named(): Promise<string> {
      return this.body();
    }
    @Bulkhead({ maxConcurrent: 2 })
    async overrides(): Promise<string> {
      return this.body();
    }
  }

  it('() allows 10 concurrent calls and no queue', async () => {
    await boot({ clock: new FakeClock(START) }, [Bulkheads]);
    const svc = app!.get(Bulkheads);
    const calls = Array.from({ length: 10 }, () => svc.bare());
    await expect(svc.bare()).rejects.toMatchObject({ name: 'BulkheadFullError', policyName: 'Bulkheads.bare' });
    expect(svc.running).toBe(10);
    svc.gate.resolve();
    await expect(Promise.all(calls)).resolves.toHaveLength(10);
  });

  it('(name) shares the configured bulkhead; ({ ...overrides }) gets its own', async () => {
    await boot({ clock: new FakeClock(START), bulkheads: { reports: { maxConcurrent: 1, maxQueue: 1 } } }, [Bulkheads]);
    const svc = app!.get(Bulkheads);
    const first = svc.named();
    const queued = svc.named();
    await expect(svc.named()).rejects.toBeInstanceOf(BulkheadFullError);
    expect(app!.get(BulkheadRegistry).get('reports')).toMatchObject({ running: 1, queued: 1 });
    const a = svc.overrides();
    const b = svc.overrides();
    await expect(svc.overrides()).rejects.toMatchObject({ policyName: 'Bulkheads.overrides' });
    svc.gate.resolve();
    await expect(Promise.all([first, queued, a, b])).resolves.toEqual(['done', 'done', 'done', 'done']);
  });
});

describe('@Fallback argument forms', () => {
  @Injectable()
  class Fallbacks {
    readonly marker = 'instance-marker';
    error: Error = new Boom('down');
    seen: unknown[] = [];

    @Fallback('cached')
    async byMethod(sku: string, qty: number): Promise<string> {
      throw this.error;
    }
    cached(sku: string, qty: number, error: unknown): string {
      this.seen = [sku, qty, error];
      return `cached:${sku}:${qty}:${this.marker}`;
    }

    @Fallback(function (this: Fallbacks, sku: string, error: unknown) {
      return `fn:${sku}:${this.marker}:${(error as Error).message}`;
    })
    async byFunction(sku: string): Promise<string> {
      throw this.error;
    }

    @Fallback({ method: 'cached', on: [Other] })
    async onlyOther(sku: string, qty: number): Promise<string> {
      throw this.error;
    }

    @Fallback({ on: (error) => error instanceof Other, fn: () => 'predicate' })
    async onPredicate(): Promise<string> {
      throw this.error;
    }
  }

  it("('method') calls the method with the arguments then the error, on the instance", async () => {
    await boot({ clock: new FakeClock(START) }, [Fallbacks]);
    const svc = app!.get(Fallbacks);
    await expect(svc.byMethod('abc', 2)).resolves.toBe('cached:abc:2:instance-marker');
    expect(svc.seen).toEqual(['abc', 2, svc.error]);
  });

  it('(fn) calls fn with `this` = the instance', async () => {
    await boot({ clock: new FakeClock(START) }, [Fallbacks]);
    await expect(app!.get(Fallbacks).byFunction('x')).resolves.toBe('fn:x:instance-marker:down');
  });

  it('({ method, on: [ErrorClass] }) falls back only for matching errors; others pass through unchanged', async () => {
    await boot({ clock: new FakeClock(START) }, [Fallbacks]);
    const svc = app!.get(Fallbacks);
    const original = svc.error;
    await expect(svc.onlyOther('a', 1)).rejects.toBe(original);
    await expect(svc.onPredicate()).rejects.toBe(original);
    svc.error = new Other('other');
    await expect(svc.onlyOther('a', 1)).resolves.toBe('cached:a:1:instance-marker');
    await expect(svc.onPredicate()).resolves.toBe('predicate');
  });

  it("('missing') fails start-up naming the method", async () => {
    @Injectable()
    class Missing {
      @Fallback('nowhere')
      async call(): Promise<string> {
        return 'x';
      }
    }
    const error = await bootApp('express', { imports: [ResilienceModule.forRoot()], providers: [Missing] }).then(
      async (booted) => {
        await booted.close();
        return undefined;
      },
      (failure: unknown) => failure as Error,
    );
    expect(error?.message).toBe(`@Fallback('nowhere') on Missing.call: Missing has no method "nowhere"`);
  });

  describe('staleIfError', () => {
    @Injectable()
    class Prices {
      down = false;
      prices: Record<string, number> = { a: 1, b: 2 };
      calls = 0;
      @Fallback({ staleIfError: { maxAge: 1_000 } })
      async price(sku: string): Promise<number> {
        this.calls++;
        if (this.down) throw new Boom(`no price for ${sku}`);
        return this.prices[sku]!;
      }
    }

    it('serves the last good value for the same arguments within maxAge, and not after', async () => {
      const clock = new FakeClock(START);
      await boot({ clock }, [Prices]);
      const svc = app!.get(Prices);
      await expect(svc.price('a')).resolves.toBe(1);
      svc.prices['a'] = 10;
      await clock.tickAsync(500);
      await expect(svc.price('a')).resolves.toBe(10);
      svc.down = true;
      await clock.tickAsync(1_000);
      // Last good value of 'a' is 10, exactly 1 000 ms old: still served.
      await expect(svc.price('a')).resolves.toBe(10);
      // 'b' never succeeded: nothing to serve, the original error passes.
      await expect(svc.price('b')).rejects.toThrow('no price for b');
      await clock.tickAsync(1);
      await expect(svc.price('a')).rejects.toThrow('no price for a');
      expect(svc.calls).toBe(5);
    });
  });
});

describe('fixed composition order, whatever the writing order', () => {
  @Injectable()
  class Ordered {
    calls = 0;
    attempts = 0;
    signals: AbortSignal[] = [];
    finalError: unknown;
    errors: Error[] = [];

    // Written innermost-first: the composition must still be Fallback > Retry > Breaker > Timeout.
    @Timeout(1_000)
    @CircuitBreaker({ name: 'ordered', failureThreshold: 2 })
    @Retry({ maxRetries: 3, baseDelay: 0 })
    @Fallback('recover')
    async throughBreaker(): Promise<string> {
      this.calls++;
      throw new Boom(`attempt ${this.calls}`);
    }
    recover(error: unknown): string {
      this.finalError = error;
      return 'recovered';
    }

    @Timeout(100)
    @Retry({ maxRetries: 2, baseDelay: 0 })
    async perAttemptTimeout(): Promise<string> {
      this.attempts++;
      this.signals.push(currentSignal()!);
      if (this.attempts < 3) return untilAborted();
      return `attempt ${this.attempts}`;
    }

    @Retry({ maxRetries: 2, baseDelay: 0 })
    @Fallback({
      fn(this: Ordered, error: unknown) {
        this.finalError = error;
        return `fallback saw ${(error as Error).message}`;
      },
    })
    async finalError3(): Promise<string> {
      const error = new Boom(`failure ${this.errors.length + 1}`);
      this.errors.push(error);
      throw error;
    }
  }

  it('each retry attempt passes the breaker: 2 bodies run, then CircuitOpenError stops the retries and reaches the fallback', async () => {
    await boot({ clock: new FakeClock(START) }, [Ordered]);
    const svc = app!.get(Ordered);
    await expect(svc.throughBreaker()).resolves.toBe('recovered');
    expect(svc.calls).toBe(2);
    expect(svc.finalError).toBeInstanceOf(CircuitOpenError);
    expect(svc.finalError).toMatchObject({ breakerName: 'ordered' });
    expect(app!.get(CircuitBreakerRegistry).get('ordered')!.state).toBe('open');
  });

  it('each attempt gets its own timeout', async () => {
    const clock = new FakeClock(START);
    await boot({ clock }, [Ordered]);
    const svc = app!.get(Ordered);
    const call = settle(svc.perAttemptTimeout());
    await clock.tickAsync(100);
    expect(svc.attempts).toBe(2);
    expect(svc.signals[0]!.aborted).toBe(true);
    expect(svc.signals[0]!.reason).toBeInstanceOf(TimeoutError);
    await clock.tickAsync(99);
    expect(svc.attempts).toBe(2);
    expect(call.state).toBe('pending');
    await clock.tickAsync(1);
    await call.promise;
    expect(call.value).toBe('attempt 3');
    expect(svc.signals.map((signal) => signal.aborted)).toEqual([true, true, false]);
  });

  it('the fallback sees the final error (the last attempt, unchanged)', async () => {
    await boot({ clock: new FakeClock(START) }, [Ordered]);
    const svc = app!.get(Ordered);
    await expect(svc.finalError3()).resolves.toBe('fallback saw failure 3');
    expect(svc.errors).toHaveLength(3);
    expect(svc.finalError).toBe(svc.errors[2]);
  });
});

describe('named breakers are shared', () => {
  @Injectable()
  class Catalog {
    calls = 0;
    @CircuitBreaker('shared')
    async list(): Promise<string> {
      this.calls++;
      throw new Boom('catalog');
    }
  }
  @Injectable()
  class Search {
    calls = 0;
    @CircuitBreaker('shared')
    async find(): Promise<string> {
      this.calls++;
      throw new Boom('search');
    }
  }

  it('two methods of different classes naming one breaker share it', async () => {
    await boot({ clock: new FakeClock(START), circuitBreakers: { shared: { failureThreshold: 2 } } }, [Catalog, Search]);
    const catalog = app!.get(Catalog);
    const search = app!.get(Search);
    await expect(catalog.list()).rejects.toThrow('catalog');
    await expect(search.find()).rejects.toThrow('search');
    await expect(catalog.list()).rejects.toMatchObject({ name: 'CircuitOpenError', breakerName: 'shared' });
    await expect(search.find()).rejects.toMatchObject({ name: 'CircuitOpenError', breakerName: 'shared' });
    expect([catalog.calls, search.calls]).toEqual([1, 1]);
    expect(app!.get(CircuitBreakerRegistry).names()).toEqual(['shared']);
  });
});

describe('default policy names in /health/resilience', () => {
  @Injectable()
  class Inventory {
    @CircuitBreaker()
    async stock(sku: string): Promise<number> {
      return sku.length;
    }
  }
  @Controller('stock')
  class StockController {
    constructor(private readonly inventory: Inventory) {}
    @Get(':sku')
    async get(@Param('sku') sku: string): Promise<{ stock: number }> {
      return { stock: await this.inventory.stock(sku) };
    }
  }

  it.each(PLATFORMS)('%s: `Inventory.stock` is listed', async (platform) => {
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      providers: [Inventory],
      controllers: [StockController],
    });
    await request(app.getHttpServer()).get('/stock/abcd').expect(200, { stock: 4 });
    const entry = { state: 'closed', critical: false, failureCount: 0, failureRate: 0, openedAt: null, nextAttemptAt: null };
    await request(app.getHttpServer())
      .get('/health/resilience')
      .expect(200, { status: 'up', circuitBreakers: { 'Inventory.stock': entry } });
    await request(app.getHttpServer()).get('/health/resilience/Inventory.stock').expect(200, entry);
    await request(app.getHttpServer()).get(`/health/resilience/${encodeURIComponent('Inventory.stock')}`).expect(200, entry);
  });
});

describe('class-level decorators', () => {
  @CircuitBreaker({ failureThreshold: 1 })
  @Fallback('fallback')
  @Injectable()
  class Gateway implements OnModuleInit {
    inits = 0;
    fallbackCalls = 0;
    async onModuleInit(): Promise<void> {
      this.inits++;
    }
    async send(): Promise<string> {
      throw new Boom('send');
    }
    @CircuitBreaker({ name: 'gateway-receive', failureThreshold: 3 })
    async receive(): Promise<string> {
      throw new Boom('receive');
    }
    helper(): number {
      return 7;
    }
    async fallback(error: unknown): Promise<string> {
      this.fallbackCalls++;
      return `fallback:${(error as Error).message}`;
    }
  }

  it('applies to async methods, the method-level decorator wins, hooks/fallback/sync helpers are left alone', async () => {
    await boot({ clock: new FakeClock(START) }, [Gateway]);
    const gateway = app!.get(Gateway);
    const breakers = app!.get(CircuitBreakerRegistry);
    expect(breakers.names().sort()).toEqual(['Gateway.send', 'gateway-receive']);
    expect(gateway.inits).toBe(1);

    await expect(gateway.send()).resolves.toBe('fallback:send');
    await expect(gateway.send()).resolves.toBe('fallback:Circuit breaker "Gateway.send" is open');
    expect(breakers.get('Gateway.send')!.state).toBe('open');

    await expect(gateway.receive()).resolves.toBe('fallback:receive');
    await expect(gateway.receive()).resolves.toBe('fallback:receive');
    expect(breakers.get('gateway-receive')!.state).toBe('closed');
    await expect(gateway.receive()).resolves.toBe('fallback:receive');
    expect(breakers.get('gateway-receive')!.state).toBe('open');

    // Not wrapped: a sync helper keeps returning a plain value, the fallback is a plain call.
    expect(gateway.helper()).toBe(7);
    await expect(gateway.fallback(new Error('direct'))).resolves.toBe('fallback:direct');
    expect(Reflect.getOwnMetadata('bulwark:resilience', Gateway.prototype.onModuleInit)).toBeUndefined();
    expect(Reflect.getOwnMetadata('bulwark:resilience', Gateway.prototype.fallback)).toBeUndefined();
    expect(Reflect.getOwnMetadata('bulwark:resilience', Gateway.prototype.helper)).toBeUndefined();
    expect(gateway.fallbackCalls).toBe(6);
  });
});

describe('inherited decorated methods', () => {
  class BaseClient {
    calls = 0;
    @CircuitBreaker({ failureThreshold: 1 })
    async get(): Promise<string> {
      this.calls++;
      throw new Boom('base');
    }
  }
  @Injectable()
  class InheritingClient extends BaseClient {}
  @Injectable()
  class OverridingClient extends BaseClient {
    overrides = 0;
    override async get(): Promise<string> {
      this.overrides++;
      return super.get();
    }
  }

  it('apply to a subclass, named after it, also when an undecorated override calls super', async () => {
    await boot({ clock: new FakeClock(START) }, [InheritingClient, OverridingClient]);
    const breakers = app!.get(CircuitBreakerRegistry);
    expect(breakers.names().sort()).toEqual(['InheritingClient.get', 'OverridingClient.get']);
    for (const cls of [InheritingClient, OverridingClient]) {
      const client = app!.get<BaseClient>(cls);
      await expect(client.get()).rejects.toBeInstanceOf(Boom);
      await expect(client.get()).rejects.toMatchObject({ name: 'CircuitOpenError', breakerName: `${cls.name}.get` });
      expect(client.calls).toBe(1);
    }
    expect(app!.get(OverridingClient).overrides).toBe(2);
  });
});

describe('method shapes', () => {
  it('a declared synchronous return type throws a TypeError when the class is defined', () => {
    expect(() => {
      class Bad {
        @CircuitBreaker()
        count(): number {
          return 1;
        }
      }
      return Bad;
    }).toThrow(
      new TypeError(
        '@CircuitBreaker on Bad.count: a resilient method must return a Promise or an Observable, but its declared ' +
          'return type is number. Make it async (Promise<number>) or return an Observable.',
      ),
    );
    expect(() => {
      class AlsoBad {
        @Retry()
        names(): string[] {
          return ['x'];
        }
      }
      return AlsoBad;
    }).toThrow(new TypeError(
      '@Retry on AlsoBad.names: a resilient method must return a Promise or an Observable, but its declared ' +
        'return type is Array. Make it async (Promise<Array>) or return an Observable.',
    ));
    expect(() => {
      @Timeout(5)
      class ClassLevelIsFine {
        count(): number {
          return 1;
        }
      }
      return new ClassLevelIsFine().count();
    }).not.toThrow();
  });

  @Injectable()
  class Plain {
    calls = 0;
    @CircuitBreaker()
    // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
    plain() {
      this.calls++;
      return 42;
    }
  }

  it('a sync plain-value method returns a Promise and logs one warning', async () => {
    const logger = new CapturingLogger();
    app = await bootApp(
      'express',
      { imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })], providers: [Plain] },
      { logger },
    );
    const svc = app.get(Plain);
    const first: unknown = svc.plain();
    expect(first).toBeInstanceOf(Promise);
    await expect(first).resolves.toBe(42);
    await expect(svc.plain() as unknown).resolves.toBe(42);
    const warnings = logger.messages.filter((entry) => entry.level === 'warn' && entry.context === 'Bulwark');
    expect(warnings.map((entry) => entry.message)).toEqual([
      'Plain.plain returned a plain value; resilient methods always return a Promise. Make it async (or declare Promise<T>) so callers expect one.',
    ]);
    expect(svc.calls).toBe(2);
  });
});
