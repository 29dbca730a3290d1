import 'reflect-metadata';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { Bulkhead, CircuitBreaker, Fallback, ResilienceModule, Retry, Timeout, TimeoutError, currentSignal } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { settle, waitFor } from './support/async.js';

/** A local HTTP server that accepts requests and never answers them. */
class SilentServer {
  received = 0;
  closed = 0;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.received = 0;
    this.closed = 0;
    this.server = createServer((req, res) => {
      this.received++;
      res.on('close', () => this.closed++);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/slow`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

@Injectable()
class Downstream {
  static url = '';
  signals: AbortSignal[] = [];

  @Timeout(50)
  async fetchSlow(): Promise<string> {
    const signal = currentSignal()!;
    this.signals.push(signal);
    const response = await fetch(Downstream.url, { signal });
    return response.text();
  }
}

@Controller('proxy')
class ProxyController {
  constructor(private readonly downstream: Downstream) {}
  @Get()
  async get(): Promise<string> {
    return this.downstream.fetchSlow();
  }
}

let app: INestApplication | undefined;
const server = new SilentServer();

beforeEach(async () => {
  await server.start();
  Downstream.url = server.url;
});

afterEach(async () => {
  await app?.close();
  app = undefined;
  await server.stop();
});

describe('currentSignal() and a real fetch (real clock, 50 ms timeout)', () => {
  it('the timeout fires, the fetch is aborted (the server sees the request closed), the call rejects with TimeoutError', async () => {
    app = await bootApp('express', { imports: [ResilienceModule.forRoot()], providers: [Downstream] });
    const downstream = app.get(Downstream);
    const startedAt = Date.now();
    const call = settle(downstream.fetchSlow());
    await waitFor(() => server.received === 1, 'the server to receive the request');
    await call.promise;
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(45);
    expect(call.state).toBe('rejected');
    expect(call.error).toBeInstanceOf(TimeoutError);
    expect(call.error).toMatchObject({ policyName: 'Downstream.fetchSlow', duration: 50 });
    expect(downstream.signals[0]!.aborted).toBe(true);
    expect(downstream.signals[0]!.reason).toBe(call.error);
    await waitFor(() => server.closed === 1, 'the server to see the request closed');
    expect(currentSignal()).toBeUndefined();
  });

  it.each(PLATFORMS)('%s: over HTTP the caller gets 504 and the downstream request is closed', async (platform: Platform) => {
    // The detail in the body tells which call timed out.
    const resilience = ResilienceModule.forRoot({ errorMapping: { detail: true } });
    app = await bootApp(platform, { imports: [resilience], providers: [Downstream], controllers: [ProxyController] });
    const response = await request(app.getHttpServer()).get('/proxy');
    expect(response.status).toBe(504);
    expect(response.body.message).toBe('Call "Downstream.fetchSlow" timed out after 50 ms');
    await waitFor(() => server.closed === 1, 'the server to see the request closed');
    expect(server.received).toBe(1);
  });
});

describe('currentSignal() inside decorated methods', () => {
  @Injectable()
  class Signals {
    seen: Record<string, AbortSignal | undefined> = {};
    @Retry()
    async retry(): Promise<void> {
      this.seen['retry'] = currentSignal();
    }
    @CircuitBreaker()
    async breaker(): Promise<void> {
      this.seen['breaker'] = currentSignal();
    }
    @Fallback({ fn: () => undefined })
    async fallback(): Promise<void> {
      this.seen['fallback'] = currentSignal();
    }
    @Bulkhead()
    async bulkhead(): Promise<void> {
      this.seen['bulkhead'] = currentSignal();
    }
    @Timeout(10)
    async timeout(): Promise<void> {
      this.seen['timeout'] = currentSignal();
    }
  }

  it('is an AbortSignal with any single decorator, distinct per call', async () => {
    app = await bootApp('express', { imports: [ResilienceModule.forRoot({ clock: new FakeClock() })], providers: [Signals] });
    const signals = app.get(Signals);
    await signals.retry();
    await signals.breaker();
    await signals.fallback();
    await signals.bulkhead();
    await signals.timeout();
    expect(Object.keys(signals.seen)).toEqual(['retry', 'breaker', 'fallback', 'bulkhead', 'timeout']);
    for (const signal of Object.values(signals.seen)) {
      expect(signal).toBeInstanceOf(AbortSignal);
      expect(signal!.aborted).toBe(false);
    }
    const first = signals.seen['breaker'];
    await signals.breaker();
    expect(signals.seen['breaker']).not.toBe(first);
  });

  @Injectable()
  class Inner {
    signal: AbortSignal | undefined;
    @Timeout(5_000)
    async work(): Promise<string> {
      const signal = currentSignal()!;
      this.signal = signal;
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
  }

  @Injectable()
  class Outer {
    constructor(private readonly inner: Inner) {}
    @Timeout(100)
    async call(): Promise<string> {
      return this.inner.work();
    }
  }

  it('a nested resilient call inherits the outer deadline', async () => {
    const clock = new FakeClock();
    app = await bootApp('express', { imports: [ResilienceModule.forRoot({ clock })], providers: [Inner, Outer] });
    const call = settle(app.get(Outer).call());
    await clock.tickAsync(99);
    expect(call.state).toBe('pending');
    await clock.tickAsync(1);
    await call.promise;
    expect(call.error).toMatchObject({ name: 'TimeoutError', policyName: 'Outer.call', duration: 100 });
    expect(app.get(Inner).signal!.aborted).toBe(true);
    expect(app.get(Inner).signal!.reason).toMatchObject({ policyName: 'Outer.call' });
  });
});
