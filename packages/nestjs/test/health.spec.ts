import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, ResilienceModule, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const SECRET = 'password=hunter2 at db.internal:5432';

@Injectable()
class Dependencies {
  @CircuitBreaker('payments')
  async pay(): Promise<string> {
    throw new Error(SECRET);
  }
  @CircuitBreaker('payments')
  async payWhen(outcome: Promise<string>): Promise<string> {
    return outcome;
  }
  @CircuitBreaker('recommendations')
  async recommend(): Promise<string> {
    throw new Error(SECRET);
  }
  @CircuitBreaker('search')
  async search(ok: boolean): Promise<string> {
    if (ok) return 'found';
    throw new Error(SECRET);
  }
}

const closed = (critical = false) => ({
  state: 'closed',
  critical,
  failureCount: 0,
  failureRate: 0,
  openedAt: null,
  nextAttemptAt: null,
});

const baseOptions = (clock: FakeClock): ResilienceModuleOptions => ({
  clock,
  circuitBreakers: {
    payments: { failureThreshold: 1, recoveryTimeout: 10_000, critical: true },
    recommendations: { failureThreshold: 2, recoveryTimeout: 5_500 },
    search: { failureThreshold: 3 },
  },
});

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: GET /health/resilience', (platform: Platform) => {
  let clock: FakeClock;
  const boot = async (options: Partial<ResilienceModuleOptions> = {}) => {
    clock = new FakeClock(START);
    app = await bootApp(platform, { imports: [ResilienceModule.forRoot({ ...baseOptions(clock), ...options })], providers: [Dependencies] });
    return { server: app.getHttpServer(), deps: app.get(Dependencies), breakers: app.get(CircuitBreakerRegistry) };
  };

  it('is up with every breaker closed, in the exact contract shape', async () => {
    const { server } = await boot();
    const response = await request(server).get('/health/resilience').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      status: 'up',
      circuitBreakers: { payments: closed(true), recommendations: closed(), search: closed() },
    });
  });

  it("shows a shared store's status as `store`, which never changes `status` (a store without status() shows none)", async () => {
    const sharing = { connected: false, subscribed: false };
    const store = {
      attachCircuitBreaker: () => undefined,
      detachCircuitBreaker: () => undefined,
      close: async () => undefined,
      status: () => sharing,
    };
    const { server } = await boot({ store });
    expect((await request(server).get('/health/resilience').expect(200)).body).toEqual({
      status: 'up',
      circuitBreakers: { payments: closed(true), recommendations: closed(), search: closed() },
      store: { connected: false, subscribed: false },
    });
    sharing.connected = true;
    sharing.subscribed = true;
    expect((await request(server).get('/health/resilience').expect(200)).body.store).toEqual({ connected: true, subscribed: true });
    await app!.close();
    const { server: without } = await boot({ store: { ...store, status: undefined } as never });
    expect((await request(without).get('/health/resilience').expect(200)).body).not.toHaveProperty('store');
  });

  it('counts failures while closed', async () => {
    const { server, deps } = await boot();
    await expect(deps.search(false)).rejects.toThrow();
    await expect(deps.search(true)).resolves.toBe('found');
    await expect(deps.search(false)).rejects.toThrow();
    await expect(deps.search(false)).rejects.toThrow();
    const body = (await request(server).get('/health/resilience/search').expect(200)).body;
    // Consecutive failures since the last success; the rate covers every recorded call (3 of 4).
    expect(body).toEqual({ ...closed(), failureCount: 2, failureRate: 75 });
  });

  it('is degraded (200) with a non-critical breaker open: ISO times, never the error message', async () => {
    const { server, deps } = await boot();
    await clock.tickAsync(1_500);
    await expect(deps.recommend()).rejects.toThrow(SECRET);
    await expect(deps.recommend()).rejects.toThrow(SECRET);
    const response = await request(server).get('/health/resilience').expect(200);
    expect(response.body).toEqual({
      status: 'degraded',
      circuitBreakers: {
        payments: closed(true),
        recommendations: {
          state: 'open',
          critical: false,
          failureCount: 2,
          failureRate: 100,
          openedAt: iso(START + 1_500),
          nextAttemptAt: iso(START + 1_500 + 5_500),
        },
        search: closed(),
      },
    });
    expect(response.text).not.toContain('hunter2');
    expect(response.text).not.toContain('password');
    expect(response.text).not.toContain('stack');
  });

  it('is down (503) with a critical breaker open, and the entry is served on its own', async () => {
    const { server, deps } = await boot();
    await expect(deps.pay()).rejects.toThrow(SECRET);
    const response = await request(server).get('/health/resilience').expect(503);
    expect(response.body.status).toBe('down');
    expect(response.body.circuitBreakers.payments).toEqual({
      state: 'open',
      critical: true,
      failureCount: 1,
      failureRate: 100,
      openedAt: iso(START),
      nextAttemptAt: iso(START + 10_000),
    });
    expect(response.text).not.toContain('hunter2');
    // The single-breaker route reports the entry with 200 whatever the aggregate.
    await request(server).get('/health/resilience/payments').expect(200, response.body.circuitBreakers.payments);
  });

  it('stays open past the recovery timeout (nextAttemptAt in the past) until a call starts the trial: then half-open, degraded even for a critical breaker', async () => {
    const { server, deps } = await boot();
    await expect(deps.pay()).rejects.toThrow();
    await clock.tickAsync(15_000);
    for (let i = 0; i < 2; i++) {
      const response = await request(server).get('/health/resilience').expect(503);
      expect(response.body.circuitBreakers.payments).toMatchObject({ state: 'open', nextAttemptAt: iso(START + 10_000) });
    }
    let settle!: (value: string) => void;
    const trial = deps.payWhen(new Promise<string>((resolve) => (settle = resolve)));
    const response = await request(server).get('/health/resilience').expect(200);
    expect(response.body.status).toBe('degraded');
    expect(response.body.circuitBreakers.payments).toMatchObject({
      state: 'half-open',
      critical: true,
      nextAttemptAt: null,
    });
    settle('paid');
    await expect(trial).resolves.toBe('paid');
    expect((await request(server).get('/health/resilience').expect(200)).body.circuitBreakers.payments.state).toBe('closed');
  });

  it('shows forced-open (down only for a critical breaker), disabled and reset from the registry', async () => {
    const { server, breakers } = await boot();
    breakers.forceOpen('recommendations');
    let response = await request(server).get('/health/resilience').expect(200);
    expect(response.body.status).toBe('degraded');
    expect(response.body.circuitBreakers.recommendations).toEqual({
      state: 'forced-open',
      critical: false,
      failureCount: 0,
      failureRate: 0,
      openedAt: iso(START),
      nextAttemptAt: null,
    });

    await clock.tickAsync(2_000);
    breakers.forceOpen('payments');
    response = await request(server).get('/health/resilience').expect(503);
    expect(response.body.status).toBe('down');
    expect(response.body.circuitBreakers.payments).toMatchObject({ state: 'forced-open', openedAt: iso(START + 2_000) });

    breakers.disable('payments');
    breakers.disable('recommendations');
    response = await request(server).get('/health/resilience').expect(200);
    expect(response.body).toEqual({
      status: 'up',
      circuitBreakers: {
        payments: { ...closed(true), state: 'disabled' },
        recommendations: { ...closed(), state: 'disabled' },
        search: closed(),
      },
    });

    breakers.reset('payments');
    breakers.reset('recommendations');
    await request(server)
      .get('/health/resilience')
      .expect(200, { status: 'up', circuitBreakers: { payments: closed(true), recommendations: closed(), search: closed() } });
  });

  it('answers 404 for an unknown breaker name', async () => {
    const { server } = await boot();
    const response = await request(server).get('/health/resilience/nope').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, message: 'Unknown circuit breaker "nope"' });
  });

  it('mounts at a custom path', async () => {
    const { server } = await boot({ health: { path: 'ops/breakers' } });
    await request(server).get('/ops/breakers').expect(200);
    await request(server).get('/ops/breakers/search').expect(200, closed());
    await request(server).get('/health/resilience').expect(404);
  });

  it('mounts nothing with health: false', async () => {
    const { server } = await boot({ health: false });
    await request(server).get('/health/resilience').expect(404);
    await request(server).get('/health/resilience/payments').expect(404);
  });
});
