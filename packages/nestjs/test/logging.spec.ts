import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { FakeClock } from '@bulwark/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  InvalidOptionsError,
  ResilienceHealthService,
  ResilienceModule,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { CapturingLogger } from './support/app.js';
import { deferred, settle, type Deferred } from './support/async.js';

const START = Date.UTC(2030, 0, 1);

@Injectable()
class Pricing {
  fail = true;
  /** When set, a call waits for it (a slow trial call), then fails or succeeds as `fail` says. */
  gate: Deferred<void> | undefined;
  @CircuitBreaker('pricing')
  async price(): Promise<number> {
    if (this.gate !== undefined) await this.gate.promise;
    if (this.fail) throw new Error('pricing down');
    return 42;
  }

  @CircuitBreaker('stock')
  async stock(): Promise<number> {
    if (this.fail) throw new Error('stock down');
    return 1;
  }
}

let app: TestingModule | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function boot(options: ResilienceModuleOptions): Promise<{ logger: CapturingLogger; pricing: Pricing; clock: FakeClock }> {
  const clock = (options.clock as FakeClock | undefined) ?? new FakeClock(START);
  const logger = new CapturingLogger();
  app = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ clock, ...options })], providers: [Pricing] })
    .setLogger(logger)
    .compile();
  await app.init();
  return { logger, pricing: app.get(Pricing), clock };
}

/** What Bulwark logged, as `level: message`. */
function lines(logger: CapturingLogger): string[] {
  return logger.messages.filter((entry) => entry.context === 'Bulwark').map((entry) => `${entry.level}: ${entry.message}`);
}

async function fail(call: () => Promise<unknown>, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await call().catch(() => undefined);
}

describe('logging of circuit breaker transitions', () => {
  it('gives the grown open period of a re-open with recoveryBackoff', async () => {
    const { logger, pricing, clock } = await boot({
      logging: { rateLimitMs: 0 },
      circuitBreakers: { pricing: { failureThreshold: 1, recoveryTimeout: 30_000, recoveryBackoff: { maxRecoveryTimeout: 90_000 } } },
    });
    await fail(() => pricing.price());
    for (let i = 0; i < 2; i++) {
      await clock.tickAsync(app!.get(CircuitBreakerRegistry).get('pricing')!.currentRecoveryTimeout);
      await fail(() => pricing.price()); // the trial fails
    }
    const opened = lines(logger).filter((line) => line.startsWith('warn:'));
    expect(opened.map((line) => line.replace(/.*next trial in /, ''))).toEqual(['30 s', '1 min (open 30 s so far)', '1 min 30 s (open 1 min 30 s so far)']);
  });

  it('warns when a breaker opens, logs half-open and closed with how long it was open (context Bulwark)', async () => {
    const { logger, pricing, clock } = await boot({ circuitBreakers: { pricing: { failureThreshold: 2, recoveryTimeout: 30_000 } } });

    await fail(() => pricing.price(), 2);
    expect(lines(logger)).toEqual([
      'warn: Circuit breaker "pricing" opened (2 consecutive failures, failure rate 100%); next trial in 30 s',
    ]);

    await clock.tickAsync(30_000);
    pricing.fail = false;
    await expect(pricing.price()).resolves.toBe(42); // the trial call: half-open, then closed
    expect(lines(logger).slice(1)).toEqual([
      'log: Circuit breaker "pricing" half-open after 30 s open; letting 1 trial call through',
      'log: Circuit breaker "pricing" closed after 30 s open (the trial calls succeeded)',
    ]);
  });

  it('counts a whole outage across re-openings, and logs forced-open, reset and disable', async () => {
    const { logger, pricing, clock } = await boot({
      logging: { rateLimitMs: 0 },
      circuitBreakers: { pricing: { failureThreshold: 1, recoveryTimeout: 20_000 } },
    });
    await fail(() => pricing.price());
    await clock.tickAsync(20_000);
    await fail(() => pricing.price()); // trial fails: re-opened
    await clock.tickAsync(65_000);
    pricing.fail = false;
    await pricing.price();
    const breakers = app!.get(CircuitBreakerRegistry);
    breakers.forceOpen('pricing');
    await clock.tickAsync(2_500);
    breakers.reset('pricing');
    breakers.disable('pricing');

    expect(lines(logger)).toEqual([
      'warn: Circuit breaker "pricing" opened (1 consecutive failure, failure rate 100%); next trial in 20 s',
      'log: Circuit breaker "pricing" half-open after 20 s open; letting 1 trial call through',
      'warn: Circuit breaker "pricing" re-opened: a trial call failed, failure rate 100%; next trial in 20 s (open 20 s so far)',
      'log: Circuit breaker "pricing" half-open after 1 min 5 s open; letting 1 trial call through',
      'log: Circuit breaker "pricing" closed after 1 min 25 s open (the trial calls succeeded)',
      'warn: Circuit breaker "pricing" forced open (failure rate 0%); every call is rejected until it is reset',
      'log: Circuit breaker "pricing" closed after 2.5 s open (reset)',
      'log: Circuit breaker "pricing" disabled; calls pass unprotected until it is reset',
    ]);
  });

  it('logs each transition of a full cycle once, and nothing when health or snapshots are read', async () => {
    const { logger, pricing, clock } = await boot({ circuitBreakers: { pricing: { failureThreshold: 2, recoveryTimeout: 30_000 } } });
    const health = app!.get(ResilienceHealthService);
    const breakers = app!.get(CircuitBreakerRegistry);
    const read = (): void => {
      for (let i = 0; i < 3; i++) {
        health.report();
        health.breaker('pricing');
        breakers.snapshots();
      }
    };
    read();
    await fail(() => pricing.price(), 2);
    read();
    await clock.tickAsync(29_000);
    read();
    await clock.tickAsync(1_000);
    pricing.fail = false;
    pricing.gate = deferred();
    const trial = settle(pricing.price()); // half-open while the trial call runs
    read();
    pricing.gate.resolve();
    await trial.promise;
    read();
    expect(lines(logger)).toEqual([
      'warn: Circuit breaker "pricing" opened (2 consecutive failures, failure rate 100%); next trial in 30 s',
      'log: Circuit breaker "pricing" half-open after 30 s open; letting 1 trial call through',
      'log: Circuit breaker "pricing" closed after 30 s open (the trial calls succeeded)',
    ]);
  });

  it('"closed after ... open" counts the time spent open only, not the half-open rounds', async () => {
    const { logger, pricing, clock } = await boot({
      logging: { rateLimitMs: 0 },
      circuitBreakers: { pricing: { failureThreshold: 1, recoveryTimeout: 20_000 } },
    });
    await fail(() => pricing.price()); // open at 0 s
    await clock.tickAsync(20_000);
    pricing.gate = deferred();
    const failedTrial = settle(pricing.price()); // half-open at 20 s; the trial takes 4 s, then fails
    await clock.tickAsync(4_000);
    pricing.gate.resolve();
    await failedTrial.promise; // re-opened at 24 s
    await clock.tickAsync(20_000);
    pricing.fail = false;
    pricing.gate = deferred();
    const trial = settle(pricing.price()); // half-open at 44 s; the trial takes 6 s, then succeeds
    await clock.tickAsync(6_000);
    pricing.gate.resolve();
    await trial.promise; // closed at 50 s: 40 s of it open, 10 s half-open
    expect(lines(logger)).toEqual([
      'warn: Circuit breaker "pricing" opened (1 consecutive failure, failure rate 100%); next trial in 20 s',
      'log: Circuit breaker "pricing" half-open after 20 s open; letting 1 trial call through',
      'warn: Circuit breaker "pricing" re-opened: a trial call failed, failure rate 100%; next trial in 20 s (open 20 s so far)',
      'log: Circuit breaker "pricing" half-open after 20 s open; letting 1 trial call through',
      'log: Circuit breaker "pricing" closed after 40 s open (the trial calls succeeded)',
    ]);
  });

  it('writes half-open and closed lines at the configured level; openings stay warnings', async () => {
    const { logger, pricing, clock } = await boot({
      logging: { level: 'debug' },
      circuitBreakers: { pricing: { failureThreshold: 1, recoveryTimeout: 1_000 } },
    });
    await fail(() => pricing.price());
    await clock.tickAsync(1_000);
    pricing.fail = false;
    await pricing.price();
    expect(lines(logger).map((line) => line.slice(0, line.indexOf(':')))).toEqual(['warn', 'debug', 'debug']);
  });

  it('logs nothing with logging: false', async () => {
    const { logger, pricing } = await boot({ logging: false, circuitBreakers: { pricing: { failureThreshold: 1 } } });
    await fail(() => pricing.price());
    expect(app!.get(CircuitBreakerRegistry).get('pricing')!.state).toBe('open');
    expect(lines(logger)).toEqual([]);
  });

  it('rate-limits each breaker and kind of line, and reports what it suppressed on the next line', async () => {
    const { logger, pricing, clock } = await boot({
      circuitBreakers: { pricing: { failureThreshold: 1, recoveryTimeout: 1_000 }, stock: { failureThreshold: 1 } },
    });
    // A flapping dependency: open, half-open, re-open every second.
    await fail(() => pricing.price());
    for (let i = 0; i < 4; i++) {
      await clock.tickAsync(1_000);
      await fail(() => pricing.price());
    }
    await fail(() => pricing.stock()); // another breaker is not held back by this one
    expect(lines(logger)).toEqual([
      'warn: Circuit breaker "pricing" opened (1 consecutive failure, failure rate 100%); next trial in 1 s',
      'log: Circuit breaker "pricing" half-open after 1 s open; letting 1 trial call through',
      'warn: Circuit breaker "stock" opened (1 consecutive failure, failure rate 100%); next trial in 30 s',
    ]);

    // When the interval ends the latest suppressed line of each kind is written, with the count.
    await clock.tickAsync(6_000); // t = 10 s
    expect(lines(logger).slice(3)).toEqual([
      'warn: Circuit breaker "pricing" re-opened: a trial call failed, failure rate 100%; next trial in 1 s (open 4 s so far) ' +
        '[3 similar lines suppressed; this is the latest of the last 10 s]',
    ]);
    await clock.tickAsync(1_000); // t = 11 s: the half-open window, opened at 1 s, ends
    expect(lines(logger).slice(4)).toEqual([
      'log: Circuit breaker "pricing" half-open after 1 s open; letting 1 trial call through [2 similar lines suppressed; this is the latest of the last 10 s]',
    ]);

    // A quiet interval later, the next line goes out at once.
    await clock.tickAsync(20_000);
    pricing.fail = false;
    await pricing.price();
    expect(lines(logger).slice(5)).toEqual([
      'log: Circuit breaker "pricing" half-open after 27 s open; letting 1 trial call through',
      'log: Circuit breaker "pricing" closed after 31 s open (the trial calls succeeded)',
    ]);
  });

  it('with a single repeat, delays it to the end of the interval rather than losing it', async () => {
    const { logger, pricing, clock } = await boot({
      logging: { rateLimitMs: 5_000 },
      circuitBreakers: { pricing: { failureThreshold: 1, recoveryTimeout: 1_000 } },
    });
    await fail(() => pricing.price());
    await clock.tickAsync(1_000);
    await fail(() => pricing.price()); // re-opened at 1 s: held back
    expect(lines(logger)).toHaveLength(2);
    await clock.tickAsync(4_000);
    expect(lines(logger)[2]).toBe(
      'warn: Circuit breaker "pricing" re-opened: a trial call failed, failure rate 100%; next trial in 1 s (open 1 s so far) [delayed by the log rate limit]',
    );
  });

  it.each([
    [{ logging: { level: 'warn' } }, `logging.level must be one of 'log', 'debug', 'verbose' (got "warn")`],
    [{ logging: { rateLimitMs: -1 } }, 'logging.rateLimitMs must be a non-negative number of milliseconds (got -1)'],
    [{ logging: { rateLimit: 5 } }, 'logging.rateLimit is not a logging option (known: level, rateLimitMs) (got 5)'],
    [{ logging: 'off' }, 'logging must be false or an object (got "off")'],
  ])('rejects invalid logging options: %j', async (options, message) => {
    const error = await Test.createTestingModule({ imports: [ResilienceModule.forRoot(options as never)] })
      .compile()
      .then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe(message);
  });
});
