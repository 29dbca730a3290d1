import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { currentScope, currentSignal, FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, Deadline, ResilienceModule, Timeout, type DeadlinesOptions } from '@bulwark/nestjs';
import { bootApp, PLATFORMS } from './support/app.js';
import { waitFor } from './support/async.js';

/** A dependency that answers only when its call's signal aborts (then with the signal's reason). */
@Injectable()
class Inventory {
  readonly signals: AbortSignal[] = [];

  @CircuitBreaker({ name: 'inventory', failureThreshold: 1 })
  @Timeout(60_000)
  async hang(): Promise<string> {
    const signal = currentSignal()!;
    this.signals.push(signal);
    return new Promise<string>((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }
}

let clock: FakeClock;
let handlerRuns = 0;

/** What is left of the request's budget where the handler runs (null: no deadline). */
function budgetLeft(): { left: number | null } {
  handlerRuns++;
  const deadline = currentScope()?.deadline ?? Infinity;
  return { left: deadline === Infinity ? null : deadline - clock.now() };
}

@Controller()
class OrdersController {
  constructor(private readonly inventory: Inventory) {}

  @Get('budget')
  budget(): { left: number | null } {
    return budgetLeft();
  }

  @Get('declared')
  @Deadline(2_000)
  declared(): { left: number | null } {
    return budgetLeft();
  }

  @Get('hang')
  async hang(): Promise<string> {
    return this.inventory.hang();
  }
}

@Controller('slow')
@Deadline(1_500)
class SlowController {
  @Get()
  get(): { left: number | null } {
    return budgetLeft();
  }
}

describe.each(PLATFORMS)('inbound deadlines (%s)', (platform) => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(deadlines?: DeadlinesOptions | false): Promise<INestApplication> {
    clock = new FakeClock();
    handlerRuns = 0;
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ clock, ...(deadlines === undefined ? {} : { deadlines }) })],
      controllers: [OrdersController, SlowController],
      providers: [Inventory],
    });
    return app;
  }

  const left = async (target: INestApplication, path: string, headers: Record<string, string> = {}): Promise<number | null> => {
    const response = await request(target.getHttpServer()).get(path).set(headers).expect(200);
    return (response.body as { left: number | null }).left;
  };

  it('takes the caller’s budget from x-request-deadline-ms, clamped: none, a number, huge, not a number', async () => {
    const target = await boot();
    expect(await left(target, '/budget')).toBeNull();
    expect(await left(target, '/budget', { 'x-request-deadline-ms': '250' })).toBe(250);
    expect(await left(target, '/budget', { 'x-request-deadline-ms': '999999999' })).toBe(300_000);
    expect(await left(target, '/budget', { 'x-request-deadline-ms': 'NaN' })).toBeNull();
    expect(await left(target, '/budget', { 'x-request-deadline-ms': '1e9' })).toBeNull();
  });

  it('answers a request that arrives with no time left 504 at once, without running the handler', async () => {
    const target = await boot();
    await request(target.getHttpServer()).get('/budget').set('x-request-deadline-ms', '-5').expect(504);
    await request(target.getHttpServer()).get('/budget').set('x-request-deadline-ms', '0').expect(504);
    expect(handlerRuns).toBe(0);
  });

  it('takes the smaller of the header and @Deadline (on the handler or its controller)', async () => {
    const target = await boot();
    expect(await left(target, '/declared')).toBe(2_000);
    expect(await left(target, '/declared', { 'x-request-deadline-ms': '500' })).toBe(500);
    expect(await left(target, '/declared', { 'x-request-deadline-ms': '5000' })).toBe(2_000);
    expect(await left(target, '/slow')).toBe(1_500);
    expect(await left(target, '/slow', { 'x-request-deadline-ms': '20' })).toBe(20);
  });

  it('reads the configured header and max; deadlines: false ignores the header but keeps @Deadline', async () => {
    let target = await boot({ header: 'X-Budget', max: 1_000 });
    expect(await left(target, '/budget', { 'x-budget': '5000' })).toBe(1_000);
    expect(await left(target, '/budget', { 'x-request-deadline-ms': '100' })).toBeNull();
    await target.close();
    target = await boot(false);
    expect(await left(target, '/budget', { 'x-request-deadline-ms': '100' })).toBeNull();
    expect(await left(target, '/declared', { 'x-request-deadline-ms': '100' })).toBe(2_000);
  });

  it('ends the request 504 when its budget runs out, aborting the calls still running; their breaker does not count it', async () => {
    const target = await boot();
    const inventory = target.get(Inventory);
    const answer = request(target.getHttpServer()).get('/hang').set('x-request-deadline-ms', '100').then((response) => response);
    await waitFor(() => inventory.signals.length === 1, 'the call to start');
    await clock.tickAsync(100);
    expect((await answer).status).toBe(504);
    expect(inventory.signals[0]!.aborted).toBe(true);
    expect(inventory.signals[0]!.reason).toMatchObject({ name: 'TimeoutError' });
    expect(target.get(CircuitBreakerRegistry).get('inventory')!.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0, ignored: 1 } });
  });

  it('cannot open a breaker with tiny budgets', async () => {
    const target = await boot();
    const inventory = target.get(Inventory);
    for (let i = 1; i <= 5; i++) {
      const answer = request(target.getHttpServer()).get('/hang').set('x-request-deadline-ms', '1').then((response) => response);
      await waitFor(() => inventory.signals.length === i, 'the call to start');
      await clock.tickAsync(1);
      expect((await answer).status).toBe(504);
    }
    expect(target.get(CircuitBreakerRegistry).get('inventory')!.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0, ignored: 5 } });
  });

  it('aborts the request’s calls when its client goes away; the breaker does not count them', async () => {
    const target = await boot();
    await target.listen(0, '127.0.0.1');
    const { port } = target.getHttpServer().address() as AddressInfo;
    const inventory = target.get(Inventory);
    const client = http.get({ host: '127.0.0.1', port, path: '/hang' });
    client.on('error', () => undefined);
    await waitFor(() => inventory.signals.length === 1, 'the call to start');
    client.destroy();
    await waitFor(() => inventory.signals[0]!.aborted, 'the call to be aborted');
    expect(inventory.signals[0]!.reason).toMatchObject({ name: 'AbortError' });
    await waitFor(() => target.get(CircuitBreakerRegistry).get('inventory')!.snapshot().calls.ignored === 1, 'the outcome to be booked');
    expect(target.get(CircuitBreakerRegistry).get('inventory')!.snapshot()).toMatchObject({ state: 'closed', calls: { failure: 0 } });
  });
});

describe('deadlines options', () => {
  it.each([
    [{ header: 'not a header' }, 'deadlines.header'],
    [{ max: 0 }, 'deadlines.max'],
    [{ max: 3e9 }, 'deadlines.max'],
    [{ maxMs: 10 }, 'deadlines.maxMs'],
    ['on', 'deadlines'],
  ])('%j fails start-up naming %s', async (deadlines, field) => {
    await expect(
      bootApp('express', { imports: [ResilienceModule.forRoot({ deadlines: deadlines as DeadlinesOptions })], controllers: [OrdersController], providers: [Inventory] }),
    ).rejects.toThrow(field);
  });

  it('@Deadline refuses a budget that is not a positive number of ms', () => {
    expect(() => Deadline(0)).toThrow('@Deadline');
    expect(() => Deadline(Number.NaN)).toThrow('@Deadline');
    expect(() => Deadline(2 ** 31)).toThrow('@Deadline');
  });
});
