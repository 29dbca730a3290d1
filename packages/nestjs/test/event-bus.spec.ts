import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FakeClock } from '@bulwark/core';
import {
  Bulkhead,
  CircuitBreaker,
  CircuitBreakerRegistry,
  Fallback,
  RECENT_EVENTS,
  ResilienceEventBus,
  ResilienceModule,
  Retry,
  Timeout,
  type ResilienceEvent,
} from '@bulwark/nestjs';

@Injectable()
class Flaky {
  @Fallback({ fn: () => 'fallback' })
  @Retry({ maxRetries: 1, baseDelay: 10, jitter: 'none' })
  @CircuitBreaker({ name: 'flaky', failureThreshold: 2 })
  @Timeout(50)
  async call(mode: 'fail' | 'hang' | 'ok'): Promise<string> {
    if (mode === 'fail') throw new TypeError('secret detail');
    if (mode === 'hang') return new Promise<string>(() => undefined);
    return 'ok';
  }

  @Bulkhead({ maxConcurrent: 1, maxQueue: 0 })
  async slot(gate: Promise<void>): Promise<void> {
    await gate;
  }
}

describe('ResilienceEventBus', () => {
  it('streams retries, timeouts, state changes, rejections, bulkhead rejections and fallbacks, without error messages', async () => {
    const clock = new FakeClock(Date.UTC(2026, 0, 1));
    @Module({ imports: [ResilienceModule.forRoot({ clock })], providers: [Flaky] })
    class AppModule {}
    const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
    await app.init();
    const bus = app.get(ResilienceEventBus);
    const seen: ResilienceEvent[] = [];
    bus.onEvent((event) => seen.push(event));
    const flaky = app.get(Flaky);

    const hung = flaky.call('hang');
    await clock.tickAsync(50); // first attempt times out -> retry in 10 ms
    await clock.tickAsync(10);
    await clock.tickAsync(50); // second attempt times out -> breaker opens (2 failures) -> fallback
    expect(await hung).toBe('fallback');
    expect(await flaky.call('ok')).toBe('fallback'); // rejected by the open breaker

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const holding = flaky.slot(gate);
    await expect(flaky.slot(Promise.resolve())).rejects.toMatchObject({ name: 'BulkheadFullError' });
    release();
    await holding;

    expect(seen.map((event) => event.type)).toEqual([
      'timeout',
      'retry',
      'timeout',
      'state-change',
      'fallback',
      'call-rejected',
      'fallback',
      'bulkhead-rejected',
    ]);
    expect(seen[1]).toMatchObject({ name: 'Flaky.call', attempt: 1, delay: 10, error: 'TimeoutError' });
    expect(seen[3]).toMatchObject({ name: 'flaky', from: 'closed', to: 'open', at: new Date(Date.UTC(2026, 0, 1) + 110).toISOString() });
    expect(seen[4]).toMatchObject({ type: 'fallback', name: 'Flaky.call', reason: 'timeout', source: 'handler' });
    expect(seen[5]).toMatchObject({ type: 'call-rejected', state: 'open', retryAfterMs: 30_000 });
    expect(JSON.stringify(seen)).not.toContain('secret');
    expect(bus.recent()).toEqual(seen);

    app.get(CircuitBreakerRegistry).create('later', { failureThreshold: 1 }).forceOpen();
    expect(bus.recent().at(-1)).toMatchObject({ type: 'state-change', name: 'later', to: 'forced-open', reason: 'manual' });
    await app.close();
  });

  it(`keeps the last ${RECENT_EVENTS} events for replay`, async () => {
    const app = await Test.createTestingModule({ imports: [ResilienceModule.forRoot({})] }).compile();
    await app.init();
    const bus = app.get(ResilienceEventBus);
    for (let i = 0; i < 150; i++) bus.publish({ type: 'bulkhead-rejected', name: `b${i}`, at: new Date(0).toISOString() });
    const recent = bus.recent();
    expect(recent).toHaveLength(100);
    expect(recent[0]).toMatchObject({ name: 'b50' });
    expect(recent[99]).toMatchObject({ name: 'b149' });
    await app.close();
  });
});
