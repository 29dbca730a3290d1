import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import {
  Bulkhead,
  BulkheadRegistry,
  CircuitBreaker,
  CircuitBreakerRegistry,
  Fallback,
  InvalidOptionsError,
  RESILIENCE_OPTIONS,
  ResilienceModule,
  Retry,
  RetryRegistry,
  Timeout,
  TimeoutRegistry,
  currentSignal,
  type ResilienceModuleOptions,
  type ResilienceOptionsFactory,
} from '@bulwark/nestjs';
import { bootApp, PLATFORMS } from './support/app.js';
import { settle } from './support/async.js';

const START = Date.UTC(2030, 0, 1);

function untilAborted(): Promise<never> {
  const signal = currentSignal()!;
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

@Injectable()
class Pricing {
  calls = 0;
  @CircuitBreaker('pricing')
  async price(): Promise<number> {
    this.calls++;
    throw new Error('pricing down');
  }
}

@Controller('pricing')
class PricingController {
  constructor(private readonly pricing: Pricing) {}
  @Get()
  async get(): Promise<number> {
    return this.pricing.price();
  }
}

/** Stands in for @nestjs/config's ConfigService. */
@Injectable()
class ConfigService {
  static clock = new FakeClock(START);
  readonly values: Record<string, unknown> = { PRICING_THRESHOLD: 2 };
  get<T>(key: string): T {
    return this.values[key] as T;
  }
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

@Injectable()
class ResilienceConfig implements ResilienceOptionsFactory {
  static created = 0;
  constructor() {
    ResilienceConfig.created++;
  }
  createResilienceOptions(): ResilienceModuleOptions {
    return { clock: ConfigService.clock, circuitBreakers: { pricing: { failureThreshold: 3 } } };
  }
}

@Module({ providers: [ResilienceConfig], exports: [ResilienceConfig] })
class ResilienceConfigModule {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function expectPricingOpensAfter(threshold: number): Promise<void> {
  const pricing = app!.get(Pricing);
  for (let i = 0; i < threshold; i++) await expect(pricing.price()).rejects.toThrow('pricing down');
  await expect(pricing.price()).rejects.toMatchObject({ name: 'CircuitOpenError', breakerName: 'pricing' });
  expect(pricing.calls).toBe(threshold);
}

async function boot(resilience: DynamicModule, extra: { providers?: unknown[]; controllers?: unknown[]; imports?: unknown[] } = {}) {
  app = await bootApp('express', {
    imports: [resilience, ...((extra.imports ?? []) as never[])],
    providers: [Pricing, ...((extra.providers ?? []) as never[])],
    controllers: (extra.controllers ?? []) as never[],
  });
  return app;
}

/** Compiles and boots `resilience`, expecting start-up to fail; closes whatever was created. */
async function expectStartupFailure(resilience: DynamicModule, providers: unknown[] = [Pricing]): Promise<Error> {
  let moduleRef;
  try {
    moduleRef = await Test.createTestingModule({ imports: [resilience], providers: providers as never[] }).compile();
  } catch (error) {
    return error as Error;
  }
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

describe('forRootAsync', () => {
  it('useFactory with inject of a config provider', async () => {
    await boot(
      ResilienceModule.forRootAsync({
        imports: [ConfigModule],
        inject: [ConfigService],
        useFactory: (config: ConfigService) => ({
          clock: ConfigService.clock,
          circuitBreakers: { pricing: { failureThreshold: config.get<number>('PRICING_THRESHOLD') } },
        }),
      }),
    );
    expect(app!.get(CircuitBreakerRegistry).get('pricing')!.options.failureThreshold).toBe(2);
    await expectPricingOpensAfter(2);
  });

  it('useFactory may be async', async () => {
    await boot(
      ResilienceModule.forRootAsync({
        useFactory: async () => {
          await Promise.resolve();
          return { clock: new FakeClock(START), circuitBreakers: { pricing: { failureThreshold: 4 } } };
        },
      }),
    );
    await expectPricingOpensAfter(4);
  });

  it('useClass instantiates the factory class', async () => {
    ResilienceConfig.created = 0;
    await boot(ResilienceModule.forRootAsync({ useClass: ResilienceConfig }));
    expect(ResilienceConfig.created).toBe(1);
    await expectPricingOpensAfter(3);
  });

  it('useExisting reuses a provider from an imported module', async () => {
    ResilienceConfig.created = 0;
    await boot(ResilienceModule.forRootAsync({ imports: [ResilienceConfigModule], useExisting: ResilienceConfig }), {
      imports: [ResilienceConfigModule],
    });
    expect(ResilienceConfig.created).toBe(1);
    expect(app!.get(RESILIENCE_OPTIONS)).toMatchObject({ circuitBreakers: { pricing: { failureThreshold: 3 } } });
    await expectPricingOpensAfter(3);
  });

  it('needs one of useFactory, useClass, useExisting', () => {
    expect(() => ResilienceModule.forRootAsync({})).toThrow('ResilienceModule.forRootAsync needs useFactory, useClass or useExisting');
  });

  it.each(PLATFORMS)('%s: health and errorMapping from the factory are honoured', async (platform) => {
    app = await bootApp(platform, {
      imports: [
        ResilienceModule.forRootAsync({
          useFactory: () => ({
            clock: new FakeClock(START),
            circuitBreakers: { pricing: { failureThreshold: 1 } },
            health: { path: 'status/breakers' },
            errorMapping: false,
          }),
        }),
      ],
      providers: [Pricing],
      controllers: [PricingController],
    });
    const server = app.getHttpServer();
    await request(server).get('/pricing').expect(500);
    // Open breaker, but errorMapping is off: 500, not 503.
    await request(server).get('/pricing').expect(500);
    const health = await request(server).get('/status/breakers').expect(200);
    expect(health.body).toMatchObject({ status: 'degraded', circuitBreakers: { pricing: { state: 'open' } } });
    await request(server).get('/health/resilience').expect(404);
  });

  it('health: false from the factory fails start-up: it goes to forRootAsync itself, where it mounts nothing', async () => {
    const error = await expectStartupFailure(ResilienceModule.forRootAsync({ useFactory: () => ({ clock: new FakeClock(START), health: false }) }));
    expect(error.message).toBe(
      'ResilienceModule.forRootAsync: `health` came from the options factory (false) but was not given to forRootAsync itself. ' +
        'It decides which routes are mounted, and routes are declared before the factory runs: pass it to ' +
        'ResilienceModule.forRootAsync({ health: ..., useFactory }) instead.',
    );
  });

  it.each(PLATFORMS)('%s: a static health: false of forRootAsync mounts nothing', async (platform) => {
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRootAsync({ health: false, useFactory: () => ({ clock: new FakeClock(START) }) })],
      providers: [Pricing],
    });
    await request(app.getHttpServer()).get('/health/resilience').expect(404);
    await request(app.getHttpServer()).get('/health/resilience/pricing').expect(404);
  });

  it.each(PLATFORMS)('%s: a static health option of forRootAsync sets the path', async (platform) => {
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRootAsync({ health: { path: 'ops/resilience' }, useFactory: () => ({ clock: new FakeClock(START) }) })],
      providers: [Pricing],
    });
    await request(app.getHttpServer()).get('/ops/resilience').expect(200, {
      status: 'up',
      circuitBreakers: {
        pricing: { state: 'closed', critical: false, failureCount: 0, failureRate: 0, openedAt: null, nextAttemptAt: null },
      },
    });
    await request(app.getHttpServer()).get('/health/resilience').expect(404);
  });
});

describe('invalid options fail start-up with the policy and field named', () => {
  it.each<[string, ResilienceModuleOptions, string]>([
    ['a negative threshold', { circuitBreakers: { pricing: { failureThreshold: -1 } } }, 'circuitBreakers.pricing.failureThreshold must be a positive integer (got -1)'],
    ['a zero recovery timeout', { circuitBreakers: { pricing: { recoveryTimeout: 0 } } }, 'circuitBreakers.pricing.recoveryTimeout must be a positive number (got 0)'],
    ['a negative timeout', { timeouts: { database: -5 } }, 'timeouts.database must be a positive number (got -5)'],
    ['a NaN timeout duration', { timeouts: { search: { duration: Number.NaN } } }, 'timeouts.search.duration must be a positive number (got NaN)'],
    [
      'an unknown jitter',
      { retries: { pricing: { jitter: 'fuzzy' as never } } },
      `retries.pricing.jitter must be one of 'full', 'equal', 'decorrelated', 'none' (got "fuzzy")`,
    ],
    ['a negative maxRetries default', { defaults: { retry: { maxRetries: -1 } } }, 'defaults.retry.maxRetries must be a non-negative integer (got -1)'],
    ['a zero bulkhead size', { bulkheads: { reports: { maxConcurrent: 0 } } }, 'bulkheads.reports.maxConcurrent must be a positive integer (got 0)'],
    ['an errorMapping string', { errorMapping: 'on' as never }, 'errorMapping must be a boolean or { detail?: boolean } (got "on")'],
    ['an unknown errorMapping key', { errorMapping: { details: true } as never }, 'errorMapping.details is not an errorMapping option (known: detail) (got true)'],
    ['a non-boolean errorMapping.detail', { errorMapping: { detail: 'yes' as never } }, 'errorMapping.detail must be a boolean (got "yes")'],
    [
      'an unknown module option',
      { circuitBreaker: {} } as never,
      'circuitBreaker is not a ResilienceModule option (known: defaults, circuitBreakers, retries, timeouts, bulkheads, strict, isGlobal, health, openApi, exposeKeys, errorMapping, deadlines, clock, loadShedding, live, admin, logging, metrics, openTelemetry, store) (got object)',
    ],
  ])('forRoot with %s', async (_, options, message) => {
    const error = await expectStartupFailure(ResilienceModule.forRoot(options));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toBe(message);
  });

  it('forRootAsync with a factory returning invalid options', async () => {
    const error = await expectStartupFailure(
      ResilienceModule.forRootAsync({ useFactory: async () => ({ circuitBreakers: { pricing: { failureThreshold: -1 } } }) }),
    );
    expect(error.message).toBe('circuitBreakers.pricing.failureThreshold must be a positive integer (got -1)');
  });
});

describe('values beyond their bounds fail start-up, naming the field and the bound', () => {
  const TIMER = 'must be at most 2147483647 ms (the longest timer delay)';

  it.each<[string, ResilienceModuleOptions, string]>([
    ['timeouts: { x: 3e9 }', { timeouts: { x: 3e9 } }, `timeouts.x ${TIMER} (got 3000000000)`],
    ['a timeout duration', { timeouts: { x: { duration: 2 ** 31 } } }, `timeouts.x.duration ${TIMER} (got 2147483648)`],
    ['the default timeout', { defaults: { timeout: 3e9 } }, `defaults.timeout ${TIMER} (got 3000000000)`],
    ['a recovery timeout', { circuitBreakers: { pricing: { recoveryTimeout: 3e9 } } }, `circuitBreakers.pricing.recoveryTimeout ${TIMER} (got 3000000000)`],
    ['a default recovery timeout', { defaults: { circuitBreaker: { recoveryTimeout: 3e9 } } }, `defaults.circuitBreaker.recoveryTimeout ${TIMER} (got 3000000000)`],
    [
      'a slow-call threshold',
      { circuitBreakers: { pricing: { slowCallDurationThreshold: 3e9 } } },
      `circuitBreakers.pricing.slowCallDurationThreshold ${TIMER} (got 3000000000)`,
    ],
    [
      'a time window',
      { circuitBreakers: { pricing: { window: { type: 'time', durationMs: 3e9 } } } },
      `circuitBreakers.pricing.window.durationMs ${TIMER} (got 3000000000)`,
    ],
    ['a key idle timeout', { circuitBreakers: { pricing: { keyIdleTimeout: 3e9 } } }, `circuitBreakers.pricing.keyIdleTimeout ${TIMER} (got 3000000000)`],
    ['a retry base delay', { retries: { pricing: { baseDelay: 3e9 } } }, `retries.pricing.baseDelay ${TIMER} (got 3000000000)`],
    ['a retry delay cap', { retries: { pricing: { maxDelay: 3e9 } } }, `retries.pricing.maxDelay ${TIMER} (got 3000000000)`],
    ['a log rate limit', { logging: { rateLimitMs: 3e9 } }, `logging.rateLimitMs ${TIMER} (got 3000000000)`],
    [
      'a count window size',
      { circuitBreakers: { pricing: { window: { type: 'count', size: 1e6 } } } },
      'circuitBreakers.pricing.window.size must be at most 100000 (the window keeps every call, allocated up front) (got 1000000)',
    ],
    ['maxRetries', { retries: { pricing: { maxRetries: 1_000 } } }, 'retries.pricing.maxRetries must be at most 100 (got 1000)'],
    ['a default maxRetries', { defaults: { retry: { maxRetries: 101 } } }, 'defaults.retry.maxRetries must be at most 100 (got 101)'],
    [
      'maxKeys',
      { circuitBreakers: { pricing: { maxKeys: 1e7 } } },
      'circuitBreakers.pricing.maxKeys must be at most 100000 (each key keeps a breaker in memory) (got 10000000)',
    ],
    [
      'a bulkhead queue',
      { bulkheads: { reports: { maxQueue: 1e6 } } },
      'bulkheads.reports.maxQueue must be at most 100000 (each waiting call is held in memory) (got 1000000)',
    ],
  ])('forRoot with %s', async (_, options, message) => {
    const error = await expectStartupFailure(ResilienceModule.forRoot(options));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toBe(message);
  });

  it('decorator options too: a timeout in ms, retries and a stale cache', async () => {
    class TooLongTimeout {
      @Timeout(3e9)
      async call(): Promise<number> {
        return 1;
      }
    }
    class TooManyRetries {
      @Retry({ maxRetries: 500 })
      async call(): Promise<number> {
        return 1;
      }
    }
    class TooOldStale {
      @Fallback({ staleIfError: { maxAge: 3e9 } })
      async call(): Promise<number> {
        return 1;
      }
    }
    class TooManyStale {
      @Fallback({ staleIfError: { maxAge: 1_000, maxEntries: 2e6 } })
      async call(): Promise<number> {
        return 1;
      }
    }
    for (const [target, message] of [
      [TooLongTimeout, `${TIMER} (got 3000000000)`],
      [TooManyRetries, '.maxRetries must be at most 100 (got 500)'],
      [TooOldStale, `.staleIfError.maxAge ${TIMER} (got 3000000000)`],
      [TooManyStale, '.staleIfError.maxEntries must be at most 1000000 (each entry keeps a result in memory) (got 2000000)'],
    ] as const) {
      Injectable()(target);
      const error = await expectStartupFailure(ResilienceModule.forRoot({}), [target]);
      expect(error).toBeInstanceOf(InvalidOptionsError);
      expect(error.message).toContain(`${target.name}.call`);
      expect(error.message).toContain(message);
    }
  });

  it('accepts the longest timer delay itself', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ timeouts: { x: 2_147_483_647 } })] }).compile();
    const nest = moduleRef.createNestApplication({ logger: false });
    await nest.init();
    expect(nest.get(TimeoutRegistry).get('x')!.duration).toBe(2_147_483_647);
    await nest.close();
  });
});

describe('strict', () => {
  @Injectable()
  class Unconfigured {
    @CircuitBreaker('inventory')
    async stock(): Promise<number> {
      return 1;
    }
  }
  @Injectable()
  class UnconfiguredRetry {
    @Retry('flaky')
    async call(): Promise<number> {
      return 1;
    }
  }
  @Injectable()
  class UnconfiguredTimeout {
    @Timeout('glacial')
    async call(): Promise<number> {
      return 1;
    }
  }
  @Injectable()
  class UnconfiguredBulkhead {
    @Bulkhead('exports')
    async call(): Promise<number> {
      return 1;
    }
  }

  it('fails start-up naming the unconfigured breaker', async () => {
    const error = await expectStartupFailure(ResilienceModule.forRoot({ strict: true, clock: new FakeClock(START) }), [Unconfigured]);
    expect(error.message).toBe(
      "@CircuitBreaker('inventory') on Unconfigured.stock: no circuitBreakers.inventory is configured and ResilienceModule is strict; " +
        'add it to ResilienceModule.forRoot({ circuitBreakers: { inventory: { ... } } }) or fix the name.',
    );
  });

  it.each([
    [UnconfiguredRetry, "@Retry('flaky') on UnconfiguredRetry.call: no retries.flaky is configured"],
    [UnconfiguredTimeout, "@Timeout('glacial') on UnconfiguredTimeout.call: no timeouts.glacial is configured"],
    [UnconfiguredBulkhead, "@Bulkhead('exports') on UnconfiguredBulkhead.call: no bulkheads.exports is configured"],
  ])('fails start-up for other unconfigured kinds too (%p)', async (cls, message) => {
    const error = await expectStartupFailure(ResilienceModule.forRoot({ strict: true }), [cls]);
    expect(error.message.startsWith(message)).toBe(true);
  });

  it('passes when the name is configured (profiles count as configured timeouts)', async () => {
    @Injectable()
    class Configured {
      @CircuitBreaker('inventory')
      @Timeout('database')
      async stock(): Promise<number> {
        return 1;
      }
    }
    await boot(ResilienceModule.forRoot({ strict: true, circuitBreakers: { inventory: {}, pricing: {} } }), { providers: [Configured] });
    await expect(app!.get(Configured).stock()).resolves.toBe(1);
  });

  it('non-strict creates the named policy from the defaults', async () => {
    await boot(ResilienceModule.forRoot({ clock: new FakeClock(START), defaults: { circuitBreaker: { failureThreshold: 7 } } }), {
      providers: [Unconfigured],
    });
    expect(app!.get(CircuitBreakerRegistry).get('inventory')!.options.failureThreshold).toBe(7);
  });
});

describe('defaults and timeout profiles', () => {
  @Injectable()
  class Defaulted {
    calls = 0;
    gate = new Promise<void>(() => {});
    @CircuitBreaker()
    @Retry()
    async flaky(): Promise<string> {
      this.calls++;
      throw new Error(`failure ${this.calls}`);
    }
    @Timeout()
    async slow(): Promise<string> {
      return untilAborted();
    }
    @Timeout('internal')
    async internal(): Promise<string> {
      return untilAborted();
    }
    @Bulkhead()
    async guarded(): Promise<string> {
      await this.gate;
      return 'never';
    }
  }

  it('defaults apply to decorator-created policies', async () => {
    const clock = new FakeClock(START);
    await boot(
      ResilienceModule.forRoot({
        clock,
        defaults: {
          circuitBreaker: { failureThreshold: 3, recoveryTimeout: 4_000 },
          retry: { maxRetries: 1, baseDelay: 0 },
          timeout: 300,
          bulkhead: { maxConcurrent: 1 },
        },
        circuitBreakers: { named: { recoveryTimeout: 9_000 } },
      }),
      { providers: [Defaulted] },
    );
    const svc = app!.get(Defaulted);
    // Retry: 2 attempts per call; breaker (threshold 3) opens during the second call.
    await expect(svc.flaky()).rejects.toThrow('failure 2');
    await expect(svc.flaky()).rejects.toMatchObject({ name: 'CircuitOpenError', retryAfterMs: 4_000 });
    expect(svc.calls).toBe(3);

    const slow = settle(svc.slow());
    await clock.tickAsync(299);
    expect(slow.state).toBe('pending');
    await clock.tickAsync(1);
    await slow.promise;
    expect(slow.error).toMatchObject({ name: 'TimeoutError', duration: 300 });

    void svc.guarded();
    await expect(svc.guarded()).rejects.toMatchObject({ name: 'BulkheadFullError', policyName: 'Defaulted.guarded' });

    // Defaults are merged under named configuration too.
    expect(app!.get(CircuitBreakerRegistry).get('named')!.options).toMatchObject({ failureThreshold: 3, recoveryTimeout: 9_000 });
    expect(app!.get(RetryRegistry).names()).toEqual(['Defaulted.flaky']);
    expect(app!.get(BulkheadRegistry).get('Defaulted.guarded')).toMatchObject({ maxConcurrent: 1 });
  });

  it("timeouts: { internal: 50 } overrides the built-in profile; the others keep the article's values", async () => {
    const clock = new FakeClock(START);
    await boot(ResilienceModule.forRoot({ clock, timeouts: { internal: 50 } }), { providers: [Defaulted] });
    const timeouts = app!.get(TimeoutRegistry);
    expect(['database', 'internal', 'external', 'health'].map((name) => timeouts.get(name)!.duration)).toEqual([5_000, 50, 10_000, 1_000]);
    const call = settle(app!.get(Defaulted).internal());
    await clock.tickAsync(49);
    expect(call.state).toBe('pending');
    await clock.tickAsync(1);
    await call.promise;
    expect(call.error).toMatchObject({ name: 'TimeoutError', policyName: 'internal', duration: 50 });
  });
});

describe('isGlobal', () => {
  /** A module of the application that injects a registry without importing ResilienceModule. */
  @Injectable()
  class BreakerReport {
    constructor(readonly breakers: CircuitBreakerRegistry) {}
  }

  const defineApp = (resilience: DynamicModule) => {
    @Module({ providers: [BreakerReport, Pricing] })
    class ReportModule {}
    @Module({ imports: [resilience, ReportModule] })
    class AppModule {}
    return AppModule;
  };

  it('is true by default: every module injects the registries', async () => {
    app = await bootApp('express', { imports: [defineApp(ResilienceModule.forRoot({ clock: new FakeClock(START) }))] });
    expect(app.get(BreakerReport).breakers).toBe(app.get(CircuitBreakerRegistry));
  });

  it.each([
    ['forRoot', ResilienceModule.forRoot({ isGlobal: false, clock: new FakeClock(START) })],
    ['forRootAsync', ResilienceModule.forRootAsync({ isGlobal: false, useFactory: () => ({ clock: new FakeClock(START) }) })],
  ])('false (%s): a module that does not import it cannot inject its exports', async (_, resilience) => {
    const error = await Test.createTestingModule({ imports: [defineApp(resilience)] })
      .compile()
      .then(() => undefined, (reason: unknown) => reason as Error);
    expect(error?.message).toContain("Nest can't resolve dependencies of the BreakerReport (?)");
  });

  it('false: the registries are injected where the module is imported (re-exported by a shared module), and decorators work everywhere', async () => {
    @Module({ imports: [ResilienceModule.forRoot({ isGlobal: false, clock: new FakeClock(START), circuitBreakers: { pricing: { failureThreshold: 2 } } })], exports: [ResilienceModule] })
    class SharedResilienceModule {}
    @Module({ imports: [SharedResilienceModule], providers: [BreakerReport] })
    class ReportModule {}
    @Module({ providers: [Pricing] })
    class PricingModule {}
    app = await bootApp('express', { imports: [ReportModule, PricingModule] });
    expect(app.get(BreakerReport).breakers.get('pricing')).toBeDefined();
    // Pricing's module does not import ResilienceModule: its breaker applies all the same.
    await expectPricingOpensAfter(2);
  });

  it('is decided beside the forRootAsync factory: the factory may not change it', async () => {
    const error = await expectStartupFailure(ResilienceModule.forRootAsync({ useFactory: () => ({ isGlobal: false }) }));
    expect(error.message).toBe(
      'ResilienceModule.forRootAsync: `isGlobal` came from the options factory (false) but was not given to forRootAsync itself. ' +
        'It decides whether the module is global, which is settled before the factory runs: pass it to ' +
        'ResilienceModule.forRootAsync({ isGlobal: ..., useFactory }) instead.',
    );
  });

  it('must be a boolean', async () => {
    const error = await expectStartupFailure(ResilienceModule.forRoot({ isGlobal: 'no' as never }));
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect(error.message).toBe('isGlobal must be a boolean (got "no")');
  });
});
