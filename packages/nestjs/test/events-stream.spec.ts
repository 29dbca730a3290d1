import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import http from 'node:http';
import request from 'supertest';
import { CircuitOpenError, FakeClock } from '@bulwark/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  ResilienceEventBus,
  ResilienceModule,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { baseUrl, SseClient } from './support/sse-client.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const SECRET = 'password=hunter2';
const ID = /^[0-9a-f]{8}-\d+$/;

@Injectable()
class Pricing {
  @CircuitBreaker('pricing')
  async price(ok: boolean): Promise<number> {
    if (ok) return 42;
    throw new Error(SECRET);
  }
}

let app: INestApplication | undefined;
const clients: SseClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: GET <health.path>/events', (platform: Platform) => {
  let clock: FakeClock;

  const boot = async (options: Partial<ResilienceModuleOptions> = {}, module?: ReturnType<typeof ResilienceModule.forRootAsync>) => {
    clock = new FakeClock(START);
    const resilience =
      module ??
      ResilienceModule.forRoot({
        clock,
        live: true,
        circuitBreakers: { pricing: { failureThreshold: 2, recoveryTimeout: 10_000 }, other: {} },
        ...options,
      });
    app = await bootApp(platform, { imports: [resilience], providers: [Pricing] });
    await app.listen(0, '127.0.0.1');
    return {
      url: baseUrl(app.getHttpServer()),
      pricing: app.get(Pricing),
      breakers: app.get(CircuitBreakerRegistry),
      bus: app.get(ResilienceEventBus),
    };
  };

  const open = async (url: string, headers?: Record<string, string>): Promise<SseClient> => {
    const client = await SseClient.open(url, headers);
    clients.push(client);
    return client;
  };

  it('replays the recent events on connect, then streams a breaker opening and a rejected call live', async () => {
    const { url, pricing, breakers } = await boot();
    breakers.forceOpen('other');
    await clock.tickAsync(100);
    breakers.reset('other');

    const client = await open(`${url}/health/resilience/events`);
    expect(client.status).toBe(200);
    expect(client.response.headers['content-type']).toMatch(/^text\/event-stream/);
    await client.waitFor(2);
    expect(client.json()).toEqual([
      { type: 'state-change', name: 'other', from: 'closed', to: 'forced-open', reason: 'manual', at: iso(START) },
      { type: 'state-change', name: 'other', from: 'forced-open', to: 'closed', reason: 'manual', at: iso(START + 100) },
    ]);

    await clock.tickAsync(400);
    await expect(pricing.price(false)).rejects.toThrow(SECRET);
    await expect(pricing.price(false)).rejects.toThrow(SECRET);
    await client.waitFor(3);
    expect(client.json()[2]).toEqual({
      type: 'state-change',
      name: 'pricing',
      from: 'closed',
      to: 'open',
      reason: 'failure-threshold',
      at: iso(START + 500),
    });

    await clock.tickAsync(1_000);
    await expect(pricing.price(true)).rejects.toBeInstanceOf(CircuitOpenError);
    await client.waitFor(4);
    expect(client.json()[3]).toEqual({ type: 'call-rejected', name: 'pricing', state: 'open', retryAfterMs: 9_000, at: iso(START + 1_500) });

    const ids = client.messages.map((message) => message.id);
    expect(ids.every((id) => id !== undefined && ID.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(4);
    // Every message is a plain `message` event (EventSource.onmessage sees it) without error text.
    expect(client.messages.every((message) => message.event === undefined)).toBe(true);
    expect(client.messages.map((message) => message.data).join('')).not.toContain('hunter2');
  });

  it('replays only what a reconnecting EventSource missed (Last-Event-ID), everything for an unknown id', async () => {
    const { url, breakers } = await boot();
    breakers.forceOpen('other');
    breakers.reset('other');
    breakers.disable('other');
    const first = await open(`${url}/health/resilience/events`);
    const seen = await first.waitFor(3);
    first.close();
    breakers.reset('other');

    const resumed = await open(`${url}/health/resilience/events`, { 'last-event-id': seen[1]!.id! });
    const missed = await resumed.waitFor(2);
    expect(missed.map((message) => message.id)).toEqual([seen[2]!.id, expect.stringMatching(ID)]);
    expect(resumed.json().map((event) => event['to'])).toEqual(['disabled', 'closed']);

    // Up to date: nothing is replayed, the next event is the first one received.
    const current = await open(`${url}/health/resilience/events`, { 'last-event-id': missed[1]!.id! });
    breakers.forceOpen('pricing');
    await current.waitFor(1);
    expect(current.json()).toEqual([expect.objectContaining({ name: 'pricing', to: 'forced-open' })]);

    for (const unknown of ['nope', '00000000-1', `${seen[0]!.id!.split('-')[0]}-999`]) {
      const client = await open(`${url}/health/resilience/events`, { 'last-event-id': unknown });
      await client.waitFor(5);
      expect(client.messages.map((message) => message.id)).toEqual([...seen.map((message) => message.id), missed[1]!.id, expect.stringMatching(ID)]);
    }
  });

  it('replays at most the last 100 events', async () => {
    const { url, bus } = await boot();
    for (let i = 0; i < 150; i++) bus.publish({ type: 'bulkhead-rejected', name: `b${i}`, at: iso(START) });
    const client = await open(`${url}/health/resilience/events`);
    await client.waitFor(100);
    bus.publish({ type: 'bulkhead-rejected', name: 'live', at: iso(START) });
    await client.waitFor(101);
    const names = client.json().map((event) => event['name']);
    expect(names[0]).toBe('b50');
    expect(names[99]).toBe('b149');
    expect(names.slice(100)).toEqual(['live']);
  });

  it('sends a flood of rejected calls as one message per interval that says how many it stands for', async () => {
    const { url, pricing, breakers } = await boot();
    const client = await open(`${url}/health/resilience/events`);
    breakers.forceOpen('pricing');
    await client.waitFor(1);
    for (let i = 0; i < 20_000; i++) await pricing.price(true).catch(() => undefined);
    await client.waitFor(2);
    await clock.tickAsync(1_000);
    await client.waitFor(3);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.json().slice(1)).toEqual([
      { type: 'call-rejected', name: 'pricing', state: 'forced-open', retryAfterMs: null, at: iso(START) },
      { type: 'call-rejected', name: 'pricing', state: 'forced-open', retryAfterMs: null, at: iso(START), count: 19_999 },
    ]);
  });

  it('refuses a stream beyond 32 open ones with 503', async () => {
    const { url } = await boot();
    for (let i = 0; i < 32; i++) expect((await open(`${url}/health/resilience/events`)).status).toBe(200);
    const refused = await open(`${url}/health/resilience/events`);
    expect(refused.status).toBe(503);
  });

  it('drops events for a client that stops reading, serves other requests meanwhile, and tells the client what it missed', async () => {
    const { url, breakers } = await boot();
    const stalled = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request = http.get(`${url}/health/resilience/events`, { headers: { accept: 'text/event-stream' } }, resolve);
      request.on('error', reject);
      clients.push({ close: () => request.destroy() } as unknown as SseClient);
    });
    stalled.pause();
    // Enough state changes to fill the socket buffers many times over, a turn at a time.
    for (let batch = 0; batch < 200; batch++) {
      for (let i = 0; i < 250; i++) {
        breakers.forceOpen('other');
        breakers.reset('other');
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    await request(app!.getHttpServer()).get('/health/resilience').expect(200);
    // The client reads again: it is told what it missed, before the events that follow.
    const received: string[] = [];
    stalled.setEncoding('utf8');
    stalled.on('data', (chunk: string) => received.push(chunk));
    stalled.resume();
    const dropped = (): boolean => received.join('').includes('"type":"dropped"');
    for (let i = 0; i < 200 && !dropped(); i++) {
      breakers.forceOpen('other');
      breakers.reset('other');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(dropped()).toBe(true);
    const messages = received.join('').split('\n\n').filter((block) => block.includes('data:'));
    expect(messages.length).toBeLessThan(100_000);
  });

  it('streams to every client, and ends open streams when the application closes', async () => {
    const { url, breakers } = await boot();
    const one = await open(`${url}/health/resilience/events`);
    const two = await open(`${url}/health/resilience/events`);
    breakers.forceOpen('pricing');
    await one.waitFor(1);
    await two.waitFor(1);
    expect(one.json()).toEqual(two.json());

    // The streams end first, so their keep-alive connections are idle when the server closes:
    // shutdown does not wait for the clients' keep-alive timeout (made longer than this spec may run).
    (app!.getHttpServer() as { keepAliveTimeout: number }).keepAliveTimeout = 120_000;
    const closing = app!.close();
    app = undefined;
    await Promise.all([one.waitForEnd(), two.waitForEnd()]);
    await closing;
  });

  it('is mounted under a custom health path, and wins over the /:name route', async () => {
    const { url } = await boot({ health: { path: 'ops/breakers' } });
    const client = await open(`${url}/ops/breakers/events`);
    expect(client.status).toBe(200);
    expect(client.response.headers['content-type']).toMatch(/^text\/event-stream/);
    await request(app!.getHttpServer()).get('/health/resilience/events').expect(404);
    await request(app!.getHttpServer()).get('/ops/breakers/pricing').expect(200);
  });

  it('runs live.guard before each of its routes', async () => {
    class DenyAll {
      canActivate(): boolean {
        return false;
      }
    }
    await boot({ live: { guard: new DenyAll() } });
    const server = app!.getHttpServer();
    await request(server).get('/health/resilience/events').expect(403);
    await request(server).get('/health/resilience/dashboard').expect(403);
    await request(server).get('/health/resilience/dashboard/data').expect(403);
    await request(server).get('/health/resilience').expect(200);
  });

  it('is not mounted by default, with live: false or with health: false', async () => {
    for (const live of [undefined, false]) {
      await boot({ live });
      const server = app!.getHttpServer();
      await request(server).get('/health/resilience/events').expect(404);
      await request(server).get('/health/resilience/dashboard').expect(404);
      await request(server).get('/health/resilience/dashboard/data').expect(404);
      await request(server).get('/health/resilience').expect(200);
      await app!.close();
    }

    await boot({ health: false });
    await request(app!.getHttpServer()).get('/health/resilience/events').expect(404);
  });

  it('follows forRootAsync: the path from the factory, live given to forRootAsync itself', async () => {
    @Module({})
    class Empty {}
    const moved = ResilienceModule.forRootAsync({
      live: true,
      imports: [Empty],
      useFactory: () => ({ clock, circuitBreakers: { pricing: {} }, health: { path: 'ops/async' } }),
    });
    const { url, breakers } = await boot({}, moved);
    const client = await open(`${url}/ops/async/events`);
    breakers.forceOpen('pricing');
    await client.waitFor(1);
    expect(client.json()[0]).toMatchObject({ name: 'pricing', to: 'forced-open' });
    await request(app!.getHttpServer()).get('/ops/async/dashboard').expect(200);
    await app!.close();

    await boot({}, ResilienceModule.forRootAsync({ useFactory: () => ({}) }));
    const server = app!.getHttpServer();
    await request(server).get('/health/resilience/events').expect(404);
    await request(server).get('/health/resilience/dashboard').expect(404);
    await request(server).get('/health/resilience').expect(200);
  });
});
