import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, Injectable, Param, Scope, type INestApplication } from '@nestjs/common';
import { DiscoveryService, ModuleRef, REQUEST } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, Fallback, ResilienceModule, Retry, RetryRegistry } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1);

type HttpRequest = { headers: Record<string, string | string[] | undefined> };

@Injectable({ scope: Scope.REQUEST })
class RequestClient {
  static created = 0;
  static bodyRuns = 0;
  readonly requestId: string;

  constructor(@Inject(REQUEST) req: HttpRequest) {
    RequestClient.created++;
    this.requestId = String(req.headers['x-request-id']);
  }

  @Fallback('fallback')
  @CircuitBreaker({ name: 'per-request', failureThreshold: 2 })
  async call(mode: string): Promise<string> {
    RequestClient.bodyRuns++;
    if (mode === 'fail') throw new Error(`failed for ${this.requestId}`);
    return `ok for ${this.requestId}`;
  }

  fallback(mode: string, error: Error): string {
    return `fallback for ${this.requestId} (${mode}): ${error.message}`;
  }
}

@Controller('client')
class ClientController {
  constructor(private readonly client: RequestClient) {}
  @Get(':mode')
  async get(@Param('mode') mode: string): Promise<{ result: string }> {
    return { result: await this.client.call(mode) };
  }
}

/** A request-scoped controller with a decorated handler of its own. */
@Controller({ path: 'scoped', scope: Scope.REQUEST })
class ScopedController {
  static bodyRuns = 0;
  private readonly requestId: string;
  constructor(@Inject(REQUEST) req: HttpRequest) {
    this.requestId = String(req.headers['x-request-id']);
  }

  @Get(':mode')
  @Fallback('fallback')
  @CircuitBreaker({ name: 'scoped-controller', failureThreshold: 1 })
  async get(@Param('mode') mode: string): Promise<{ result: string }> {
    ScopedController.bodyRuns++;
    if (mode === 'fail') throw new Error('handler failed');
    return { result: `handled ${this.requestId}` };
  }

  fallback(mode: string, error: Error): { result: string } {
    return { result: `fallback ${this.requestId}: ${error.message}` };
  }
}

@Injectable({ scope: Scope.TRANSIENT })
class TransientClient {
  static sequence = 0;
  readonly instance = ++TransientClient.sequence;
  owner = 'nobody';
  calls = 0;

  @Fallback('fallback')
  @Retry({ maxRetries: 1, baseDelay: 0 })
  async call(): Promise<string> {
    this.calls++;
    throw new Error(`${this.owner} failed`);
  }

  fallback(error: Error): string {
    return `${this.owner}#${this.instance} after ${this.calls} calls: ${error.message}`;
  }
}

@Injectable()
class OwnerA {
  constructor(readonly client: TransientClient) {
    client.owner = 'A';
  }
}

@Injectable()
class OwnerB {
  constructor(readonly client: TransientClient) {
    client.owner = 'B';
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: request-scoped providers', (platform: Platform) => {
  const boot = async () => {
    RequestClient.created = 0;
    RequestClient.bodyRuns = 0;
    ScopedController.bodyRuns = 0;
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      controllers: [ClientController, ScopedController],
      providers: [RequestClient],
    });
    return app.getHttpServer();
  };

  it('apply the policies with one breaker shared across requests, and fall back on the right instance', async () => {
    const server = await boot();
    await request(server).get('/client/ok').set('x-request-id', 'r1').expect(200, { result: 'ok for r1' });
    await request(server)
      .get('/client/fail')
      .set('x-request-id', 'r2')
      .expect(200, { result: 'fallback for r2 (fail): failed for r2' });
    await request(server)
      .get('/client/fail')
      .set('x-request-id', 'r3')
      .expect(200, { result: 'fallback for r3 (fail): failed for r3' });
    // Two failures from two different instances opened the one shared breaker.
    await request(server)
      .get('/client/ok')
      .set('x-request-id', 'r4')
      .expect(200, { result: 'fallback for r4 (ok): Circuit breaker "per-request" is open' });
    expect(RequestClient.created).toBe(4);
    expect(RequestClient.bodyRuns).toBe(3);
    expect(app!.get(CircuitBreakerRegistry).get('per-request')!.state).toBe('open');
  });

  it('apply to the handlers of a request-scoped controller', async () => {
    const server = await boot();
    await request(server).get('/scoped/ok').set('x-request-id', 'a').expect(200, { result: 'handled a' });
    await request(server).get('/scoped/fail').set('x-request-id', 'b').expect(200, { result: 'fallback b: handler failed' });
    await request(server)
      .get('/scoped/ok')
      .set('x-request-id', 'c')
      .expect(200, { result: 'fallback c: Circuit breaker "scoped-controller" is open' });
    expect(ScopedController.bodyRuns).toBe(2);
  });
});

describe('transient providers', () => {
  it('apply the policies per instance call and fall back on the instance that failed', async () => {
    TransientClient.sequence = 0;
    app = await bootApp('express', {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      providers: [TransientClient, OwnerA, OwnerB],
    });
    const a = app.get(OwnerA).client;
    const b = app.get(OwnerB).client;
    expect(a).not.toBe(b);
    await expect(a.call()).resolves.toBe(`A#${a.instance} after 2 calls: A failed`);
    expect([a.calls, b.calls]).toEqual([2, 0]);
    await expect(b.call()).resolves.toBe(`B#${b.instance} after 2 calls: B failed`);
    expect([a.calls, b.calls]).toEqual([2, 2]);
    expect(app.get(RetryRegistry).names()).toEqual(['TransientClient.call']);
  });
});

describe.each(PLATFORMS)('%s: request-scoped providers in two applications at once', (platform: Platform) => {
  let other: INestApplication | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
  });

  it('each application uses its own breaker', async () => {
    const metadata = () => ({
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      controllers: [ClientController],
      providers: [RequestClient],
    });
    app = await bootApp(platform, metadata());
    other = await bootApp(platform, metadata());
    const first = app.getHttpServer();
    const second = other.getHttpServer();
    await request(first).get('/client/fail').set('x-request-id', 'a1').expect(200);
    await request(first).get('/client/fail').set('x-request-id', 'a2').expect(200);
    expect(app.get(CircuitBreakerRegistry).get('per-request')!.state).toBe('open');
    expect(other.get(CircuitBreakerRegistry).get('per-request')!.state).toBe('closed');
    await request(second).get('/client/ok').set('x-request-id', 'b1').expect(200, { result: 'ok for b1' });
    await request(first)
      .get('/client/ok')
      .set('x-request-id', 'a3')
      .expect(200, { result: 'fallback for a3 (ok): Circuit breaker "per-request" is open' });
    await request(second).get('/client/fail').set('x-request-id', 'b2').expect(200);
    expect(other.get(CircuitBreakerRegistry).get('per-request')!.snapshot().failureCount).toBe(1);
    expect(app.get(CircuitBreakerRegistry).get('per-request')!.snapshot().calls.notPermitted).toBe(1);
  });
});

@Injectable()
class CreatedClient {
  calls = 0;
  @CircuitBreaker({ name: 'created', failureThreshold: 1 })
  async call(): Promise<string> {
    this.calls++;
    throw new Error('down');
  }
}

describe('instances Nest creates outside discovery find their application through Nest itself', () => {
  let other: INestApplication | undefined;
  afterEach(async () => {
    await other?.close();
    other = undefined;
  });

  it('leave Nest’s instance wrappers as Nest made them', async () => {
    app = await bootApp('express', {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      controllers: [ClientController, ScopedController],
      providers: [RequestClient, TransientClient, OwnerA, OwnerB],
    });
    await request(app.getHttpServer()).get('/client/ok').set('x-request-id', 'r1').expect(200);
    const discovery = app.get(DiscoveryService);
    const wrappers = [...discovery.getProviders(), ...discovery.getControllers()].filter((wrapper) =>
      [RequestClient, ScopedController, TransientClient].includes(wrapper.metatype as never),
    );
    expect(wrappers).toHaveLength(3);
    // No method of Nest's InstanceWrapper is replaced on an instance (as patching one would).
    for (const wrapper of wrappers) {
      const methods = Object.getPrototypeOf(wrapper) as Record<string, unknown>;
      expect(Object.getOwnPropertyNames(wrapper).filter((key) => typeof methods[key] === 'function')).toEqual([]);
    }
  });

  it('moduleRef.create() in two live applications: each instance uses its own application’s breaker', async () => {
    const metadata = () => ({ imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })], providers: [CreatedClient] });
    app = await bootApp('express', metadata());
    other = await bootApp('express', metadata());
    // Created in the first application after the second one booted.
    const created = await app.get(ModuleRef).create(CreatedClient);
    await expect(created.call()).rejects.toThrow('down');
    await expect(created.call()).rejects.toThrow('Circuit breaker "created" is open');
    expect(created.calls).toBe(1);
    expect(app.get(CircuitBreakerRegistry).get('created')!.state).toBe('open');
    expect(other.get(CircuitBreakerRegistry).get('created')!.state).toBe('closed');
    // Nothing Bulwark gives an instance shows among its enumerable keys (logs, spreads).
    expect(Object.getOwnPropertySymbols(created).filter((key) => Object.prototype.propertyIsEnumerable.call(created, key))).toEqual([]);
  });

  it('a testing module without ResilienceModule, whose mocker answers every missing dependency, runs decorated methods as written', async () => {
    const moduleRef = await Test.createTestingModule({ providers: [CreatedClient] })
      .useMocker(() => ({ tableOf: () => ({ call: { invoke: () => 'mocked' } }) }))
      .compile();
    const client = moduleRef.get(CreatedClient);
    await expect(client.call()).rejects.toThrow('down');
    await expect(client.call()).rejects.toThrow('down');
    expect(client.calls).toBe(2);
    await moduleRef.close();
  });
});
