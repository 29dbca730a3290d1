import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { FakeClock } from '@bulwark/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  Fallback,
  FallbackRegistry,
  InvalidOptionsError,
  ResilienceHealthService,
  ResilienceModule,
  Retry,
  Timeout,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';

const START = Date.UTC(2030, 0, 1);
const iso = (ms: number): string => new Date(ms).toISOString();

type Answer = { status: number; price?: number };
const unavailable = (value: unknown): boolean => typeof value === 'object' && value !== null && (value as Answer).status === 503;

@Injectable()
class Partner {
  /** What the next call resolves with. */
  next: Answer = { status: 200, price: 10 };
  calls = 0;

  @CircuitBreaker({ name: 'partner', failureThreshold: 2, isFailureResult: unavailable })
  @Timeout(1_000)
  async quote(sku: string): Promise<Answer> {
    this.calls++;
    return { ...this.next, price: sku.length };
  }

  @CircuitBreaker('configured')
  async configured(): Promise<Answer> {
    this.calls++;
    return this.next;
  }

  @Fallback({ method: 'cached', onResult: unavailable })
  @Retry({ maxRetries: 1, baseDelay: 0, retryOnResult: unavailable })
  @CircuitBreaker('priced')
  async price(sku: string): Promise<Answer> {
    this.calls++;
    return this.next.status === 503 ? this.next : { status: 200, price: sku.length };
  }

  cached(sku: string, rejected: unknown): Answer & { sku: string; rejected: unknown } {
    return { status: 200, price: 0, sku, rejected };
  }
}

let moduleRef: TestingModule | undefined;
afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
});

async function boot(options: ResilienceModuleOptions = {}): Promise<{ partner: Partner; clock: FakeClock }> {
  const clock = new FakeClock(START);
  moduleRef = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({ clock, ...options })], providers: [Partner] }).compile();
  await moduleRef.init();
  return { partner: moduleRef.get(Partner), clock };
}

describe('@CircuitBreaker({ isFailureResult }) and circuitBreakers.<name>.isFailureResult', () => {
  it('a decorated method’s flagged values open the breaker; the caller still gets each value', async () => {
    const { partner } = await boot();
    partner.next = { status: 503 };
    await expect(partner.quote('ab')).resolves.toEqual({ status: 503, price: 2 });
    await expect(partner.quote('ab')).resolves.toEqual({ status: 503, price: 2 });
    await expect(partner.quote('ab')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(partner.calls).toBe(2);
    expect(moduleRef!.get(CircuitBreakerRegistry).get('partner')!.snapshot().calls).toMatchObject({ success: 0, failure: 2, notPermitted: 1 });
  });

  it('from the module options too', async () => {
    const { partner } = await boot({ circuitBreakers: { configured: { failureThreshold: 1, isFailureResult: unavailable } } });
    partner.next = { status: 200 };
    await partner.configured();
    expect(moduleRef!.get(CircuitBreakerRegistry).get('configured')!.state).toBe('closed');
    partner.next = { status: 503 };
    await expect(partner.configured()).resolves.toEqual({ status: 503 });
    expect(moduleRef!.get(CircuitBreakerRegistry).get('configured')!.state).toBe('open');
  });

  it('is validated at start-up, naming the field', async () => {
    await expect(boot({ circuitBreakers: { configured: { isFailureResult: true as never } } })).rejects.toThrow(
      new InvalidOptionsError('circuitBreakers.configured.isFailureResult', 'must be a function', true),
    );
  });
});

describe('@Fallback({ onResult })', () => {
  it('falls back on a rejected value after the retries: the handler gets the arguments, then the value', async () => {
    const { partner } = await boot();
    partner.next = { status: 503 };
    await expect(partner.price('abc')).resolves.toEqual({ status: 200, price: 0, sku: 'abc', rejected: { status: 503 } });
    expect(partner.calls).toBe(2); // the retry ran first
    partner.next = { status: 200 };
    await expect(partner.price('abc')).resolves.toEqual({ status: 200, price: 3 });
    const fallback = moduleRef!.get(FallbackRegistry).list().find((policy) => policy.name === 'Partner.price')!;
    expect(fallback.fallbackCounts).toMatchObject({ result: 1, error: 0 });
  });
});

describe('circuitBreakers.<name>.recoveryBackoff', () => {
  it('lengthens each consecutive open period, as health shows, up to the cap; back to recoveryTimeout once closed', async () => {
    const { partner, clock } = await boot({
      circuitBreakers: { configured: { failureThreshold: 1, recoveryTimeout: 1_000, isFailureResult: unavailable, recoveryBackoff: { maxRecoveryTimeout: 3_000 } } },
    });
    const health = moduleRef!.get(ResilienceHealthService);
    const nextAttempt = (): string | null => health.breaker('configured')!.nextAttemptAt;
    partner.next = { status: 503 };
    await partner.configured();
    expect(nextAttempt()).toBe(iso(START + 1_000));
    const periods: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = clock.now();
      await clock.tickAsync(Date.parse(nextAttempt()!) - before);
      const reopenedAt = clock.now();
      await partner.configured(); // the trial: flagged again, re-opens
      periods.push(Date.parse(nextAttempt()!) - reopenedAt);
    }
    expect(periods).toEqual([2_000, 3_000, 3_000]);
    await clock.tickAsync(3_000);
    partner.next = { status: 200 };
    await partner.configured(); // the trial succeeds: closed
    partner.next = { status: 503 };
    await partner.configured();
    expect(Date.parse(nextAttempt()!) - clock.now()).toBe(1_000);
  });

  it('is validated at start-up, naming the field', async () => {
    await expect(boot({ circuitBreakers: { configured: { recoveryTimeout: 5_000, recoveryBackoff: { maxRecoveryTimeout: 1_000 } } } })).rejects.toThrow(
      'circuitBreakers.configured.recoveryBackoff.maxRecoveryTimeout must be at least recoveryTimeout (5000) (got 1000)',
    );
  });
});
