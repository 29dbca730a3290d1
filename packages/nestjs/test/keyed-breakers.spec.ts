import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Param, type CanActivate, type INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Registry } from 'prom-client';
import { lastValueFrom, Observable, of, throwError } from 'rxjs';
import request from 'supertest';
import { CircuitOpenError, FakeClock, type CircuitBreakerPolicy } from '@bulwark/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  Fallback,
  ResilienceEventBus,
  ResilienceHealthService,
  ResilienceModule,
  Retry,
  RetryRegistry,
  Timeout,
  type ResilienceEvent,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { baseUrl, SseClient } from './support/sse-client.js';
import { bootApp, CapturingLogger, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

/** A partner API called on behalf of tenants: one breaker per tenant. */
@Injectable()
class PartnerClient {
  readonly calls: string[] = [];
  readonly failing = new Set<string>();

  @CircuitBreaker({ name: 'partner-api', key: (tenantId: string) => tenantId })
  async fetch(tenantId: string, item: string): Promise<string> {
    this.calls.push(tenantId);
    if (this.failing.has(tenantId)) throw new Error(`partner down for ${tenantId}`);
    return `${tenantId}:${item}`;
  }

  /** The key function is called with the instance, like the method. */
  @CircuitBreaker({
    name: 'partner-api',
    key: function (this: PartnerClient, account: { tenantId: string }) {
      return this.tenantOf(account);
    },
  })
  async fetchFor(account: { tenantId: string }): Promise<string> {
    this.calls.push(account.tenantId);
    if (this.failing.has(account.tenantId)) throw new Error('partner down');
    return `account:${account.tenantId}`;
  }

  /** A key function that can throw (no tenant) or return something other than a string. */
  @Fallback({ fn: () => 'fallback' })
  @Retry({ maxRetries: 1, baseDelay: 10, jitter: 'none' })
  @CircuitBreaker({ name: 'quotes', key: (tenant: { id: unknown }) => tenant.id as string, failureThreshold: 1 })
  @Timeout(1_000)
  async quote(tenant: { id: unknown } | null): Promise<string> {
    const id = String(tenant!.id);
    this.calls.push(`quote:${id}`);
    if (this.failing.has(id)) throw new Error('quotes down');
    return `quote:${id}`;
  }

  tenantOf(account: { tenantId: string }): string {
    return account.tenantId;
  }
}

@Controller('partner')
class PartnerController {
  constructor(private readonly client: PartnerClient) {}

  @Get(':tenant')
  async get(@Param('tenant') tenant: string): Promise<{ value: string }> {
    return { value: await this.client.fetch(tenant, 'price') };
  }
}

class AllowAllGuard implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

const moduleOptions = (clock: FakeClock): ResilienceModuleOptions => ({
  clock,
  logging: false,
  openTelemetry: false,
  admin: { guard: AllowAllGuard },
  live: true,
  exposeKeys: true,
  circuitBreakers: {
    pricing: {},
    'partner-api': { failureThreshold: 2, recoveryTimeout: 10_000, maxKeys: 3, critical: true },
  },
});

/** What a family shows of its keys: how many, by state. */
const keyCounts = (closedKeys: number, openKeys = 0) => ({
  keyCount: closedKeys + openKeys,
  keyStates: { closed: closedKeys, open: openKeys, 'half-open': 0, 'forced-open': 0, disabled: 0 },
});
const closed = (critical = false) => ({ state: 'closed', critical, failureCount: 0, failureRate: 0, openedAt: null, nextAttemptAt: null });
const open = (at: number, failureCount: number, failureRate: number, critical = true) => ({
  state: 'open',
  critical,
  failureCount,
  failureRate,
  openedAt: iso(at),
  nextAttemptAt: iso(at + 10_000),
});

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: per-key circuit breakers', (platform: Platform) => {
  let clock: FakeClock;
  const boot = async () => {
    clock = new FakeClock(START);
    app = await bootApp(platform, { imports: [ResilienceModule.forRoot(moduleOptions(clock))], controllers: [PartnerController], providers: [PartnerClient] });
    return { server: app.getHttpServer(), client: app.get(PartnerClient), breakers: app.get(CircuitBreakerRegistry) };
  };

  it("opens only the failing tenant's breaker: the other tenant is still served", async () => {
    const { server, client, breakers } = await boot();
    client.failing.add('a');
    await request(server).get('/partner/a').expect(500);
    await request(server).get('/partner/a').expect(500);
    const rejected = await request(server).get('/partner/a').expect(503);
    expect(rejected.headers['retry-after']).toBe('10');
    await request(server).get('/partner/b').expect(200, { value: 'b:price' });
    await request(server).get('/partner/b').expect(200, { value: 'b:price' });
    expect(client.calls).toEqual(['a', 'a', 'b', 'b']);
    const family = breakers.family('partner-api')!;
    expect(family.keys()).toEqual(['a', 'b']);
    expect(family.peek('a')!.state).toBe('open');
    expect(family.peek('b')!.state).toBe('closed');
    // One name, one breaker per key: no shared breaker of that name exists.
    expect(breakers.get('partner-api')).toBeUndefined();
    expect(breakers.names()).toEqual(['pricing']);
  });

  it('lists the family in health under its name, with each key, and takes a critical family down when a key is open', async () => {
    const { server, client } = await boot();
    const before = (await request(server).get('/health/resilience').expect(200)).body;
    expect(before).toEqual({
      status: 'up',
      circuitBreakers: {
        pricing: closed(),
        'partner-api': { ...closed(true), ...keyCounts(0), keys: {} },
        quotes: { ...closed(), ...keyCounts(0), keys: {} },
      },
    });

    client.failing.add('a');
    await request(server).get('/partner/a').expect(500);
    await request(server).get('/partner/a').expect(500);
    await request(server).get('/partner/b').expect(200);
    const family = {
      ...open(START, 2, 66.7),
      ...keyCounts(1, 1),
      keys: { a: open(START, 2, 100), b: closed(true) },
    };
    const health = await request(server).get('/health/resilience').expect(503);
    expect(health.body).toEqual({
      status: 'down',
      circuitBreakers: { pricing: closed(), 'partner-api': family, quotes: { ...closed(), ...keyCounts(0), keys: {} } },
    });
    await request(server).get('/health/resilience/partner-api').expect(200, family);
    const dashboard = (await request(server).get('/health/resilience/dashboard/data').expect(200)).body;
    const card = dashboard.circuitBreakers.find((entry: { name: string }) => entry.name === 'partner-api');
    expect(card).toMatchObject({ ...open(START, 2, 66.7), calls: { success: 1, failure: 2, ignored: 0, notPermitted: 0, slow: 0 }, nextAttemptInMs: 10_000 });
    expect(card.keys.map((entry: { name: string; key: string; state: string }) => [entry.name, entry.key, entry.state])).toEqual([
      ['partner-api', 'a', 'open'],
      ['partner-api', 'b', 'closed'],
    ]);
    // Only unknown names are a 404: a key is not a name.
    await request(server).get('/health/resilience/unknown').expect(404);
    await request(server).get('/health/resilience/a').expect(404);
    await request(server).get('/health/resilience/pricing').expect(200, closed());

    // The open period passes: the trial call for a succeeds and every key is closed again.
    client.failing.clear();
    await clock.tickAsync(10_000);
    await request(server).get('/partner/a').expect(200, { value: 'a:price' });
    const recovered = (await request(server).get('/health/resilience').expect(200)).body;
    expect(recovered.status).toBe('up');
    // Closing clears a's recent counts: nothing failed since.
    expect(recovered.circuitBreakers['partner-api']).toEqual({ ...closed(true), ...keyCounts(2), keys: { a: closed(true), b: closed(true) } });
  });

  it('without exposeKeys, shows a family by its counts only: no key in health, dashboard data or the event stream', async () => {
    clock = new FakeClock(START);
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ ...moduleOptions(clock), exposeKeys: false })],
      controllers: [PartnerController],
      providers: [PartnerClient],
    });
    await app.listen(0, '127.0.0.1');
    const server = app.getHttpServer();
    const client = app.get(PartnerClient);
    const stream = await SseClient.open(`${baseUrl(server)}/health/resilience/events`);
    client.failing.add('alice@example.com');
    for (let i = 0; i < 2; i++) await request(server).get('/partner/alice@example.com').expect(500);
    await request(server).get('/partner/bob@example.com').expect(200);
    await request(server).get('/partner/alice@example.com').expect(503);
    await stream.waitFor(2);
    stream.close();
    const health = (await request(server).get('/health/resilience').expect(503)).body;
    expect(health.circuitBreakers['partner-api']).toEqual({ ...open(START, 2, 66.7), ...keyCounts(1, 1) });
    const one = (await request(server).get('/health/resilience/partner-api').expect(200)).body;
    const dashboard = (await request(server).get('/health/resilience/dashboard/data').expect(200)).body;
    const seen = JSON.stringify([health, one, dashboard, stream.messages]);
    expect(seen).not.toContain('example.com');
    expect(stream.json()[0]).toMatchObject({ type: 'state-change', name: 'partner-api', to: 'open' });
    expect(stream.json()[0]).not.toHaveProperty('key');
  });

  it('keeps at most maxKeys tenants, evicting the least recently used closed one and keeping open ones', async () => {
    const { server, client, breakers } = await boot();
    const created: string[] = [];
    const removed: CircuitBreakerPolicy[] = [];
    breakers.onKeyedCreated((breaker) => created.push(`${breaker.name}/${breaker.key}`));
    breakers.onKeyedRemoved((breaker) => removed.push(breaker));

    client.failing.add('a');
    await request(server).get('/partner/a').expect(500);
    await request(server).get('/partner/a').expect(500);
    const a = breakers.family('partner-api')!.peek('a')!;
    for (const tenant of ['b', 'c', 'd', 'e']) await request(server).get(`/partner/${tenant}`).expect(200);

    expect(created).toEqual(['partner-api/a', 'partner-api/b', 'partner-api/c', 'partner-api/d', 'partner-api/e']);
    expect(removed.map((breaker) => breaker.key)).toEqual(['b', 'c']);
    const family = breakers.family('partner-api')!;
    expect(family.size).toBe(3);
    expect(family.peek('a')).toBe(a);
    const health = (await request(server).get('/health/resilience/partner-api').expect(200)).body;
    expect(Object.keys(health.keys)).toEqual(['a', 'd', 'e']);
    expect(health.keys.a.state).toBe('open');
    // b comes back with a breaker of its own, new and closed.
    await request(server).get('/partner/b').expect(200);
    expect(removed.map((breaker) => breaker.key)).toEqual(['b', 'c', 'd']);
    expect(family.peek('a')).toBe(a);
  });

  it("a flood of new failing keys cannot push out a tenant's open breaker: once every slot is open, new keys get 503", async () => {
    const { server, client, breakers } = await boot();
    client.failing.add('tenant');
    for (let i = 0; i < 2; i++) await request(server).get('/partner/tenant').expect(500);
    for (const attacker of ['x1', 'x2']) {
      client.failing.add(attacker);
      for (let i = 0; i < 2; i++) await request(server).get(`/partner/${attacker}`).expect(500);
    }
    const family = breakers.family('partner-api')!;
    for (let i = 3; i < 50; i++) {
      const response = await request(server).get(`/partner/x${i}`).expect(503);
      expect(response.headers['retry-after']).toBe('10');
    }
    expect(family.keys()).toEqual(['tenant', 'x1', 'x2']);
    expect(family.refusedKeys).toBe(47);
    const calls = client.calls.length;
    await request(server).get('/partner/tenant').expect(503);
    expect(client.calls.length).toBe(calls); // refused by the tenant's own open breaker
  });

  it('refuses a key longer than maxKeyLength (256) before anything runs, and stores nothing', async () => {
    const { client, breakers } = await boot();
    await expect(client.fetch('k'.repeat(257), 'price')).rejects.toThrow(new RangeError('Circuit breaker family "partner-api": a key may be at most 256 characters (got 257)'));
    expect(client.calls).toEqual([]);
    expect(breakers.family('partner-api')!.size).toBe(0);
    await expect(client.fetch('k'.repeat(256), 'price')).resolves.toBe(`${'k'.repeat(256)}:price`);
  });

  it("rejects a call whose key function throws with a TypeError naming the method, and serves other tenants", async () => {
    const { client, breakers } = await boot();
    const failure = await client.quote(null).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error).message).toBe('PartnerClient.quote: the @CircuitBreaker key function threw');
    expect((failure as Error).cause).toBeInstanceOf(TypeError);
    await expect(client.quote({ id: { nested: true } })).rejects.toThrow(
      new TypeError('PartnerClient.quote: the @CircuitBreaker key function must return a string (got object)'),
    );
    await expect(client.quote({ id: undefined })).rejects.toThrow('must return a string (got undefined)');
    await expect(client.quote({ id: NaN })).rejects.toThrow('must return a string (got NaN)');
    // Nothing ran, nothing was retried, the fallback did not hide the bug, no breaker was made.
    expect(client.calls).toEqual([]);
    expect(breakers.family('quotes')!.size).toBe(0);

    // A numeric id is a key; other tenants are served as usual.
    await expect(client.quote({ id: 42 })).resolves.toBe('quote:42');
    await expect(client.quote({ id: 'x' })).resolves.toBe('quote:x');
    expect(breakers.family('quotes')!.keys()).toEqual(['42', 'x']);
  });

  it('force-opens, disables and resets a whole family or, with ?key=, one key', async () => {
    const { server, client, breakers } = await boot();
    await request(server).get('/partner/a').expect(200);
    await request(server).get('/partner/b').expect(200);
    const family = breakers.family('partner-api')!;

    const one = await request(server).post('/health/resilience/partner-api/force-open?key=a').expect(200);
    expect(one.body).toEqual({ ...closed(true), state: 'forced-open', openedAt: iso(START) });
    expect([family.peek('a')!.state, family.peek('b')!.state]).toEqual(['forced-open', 'closed']);
    await request(server).get('/partner/a').expect(503);
    await request(server).get('/partner/b').expect(200);
    await request(server).post('/health/resilience/partner-api/reset?key=a').expect(200, closed(true));
    await request(server).post('/health/resilience/partner-api/reset?key=zzz').expect(404);
    await request(server).post('/health/resilience/partner-api/force-open?key=').expect(400);
    await request(server).post('/health/resilience/partner-api/force-open?key=a&key=b').expect(400);
    await request(server).post('/health/resilience/pricing/force-open?key=a').expect(400);
    await request(server).post('/health/resilience/nope/force-open?key=a').expect(404);
    expect(family.peek('a')!.state).toBe('closed');

    const all = await request(server).post('/health/resilience/partner-api/force-open').expect(200);
    expect(all.body.state).toBe('forced-open');
    expect(Object.values(all.body.keys as Record<string, { state: string }>).map((entry) => entry.state)).toEqual(['forced-open', 'forced-open']);
    // A tenant seen for the first time is refused too, until the family is reset.
    await request(server).get('/partner/c').expect(503);
    expect(client.calls).toEqual(['a', 'b', 'b']);
    await request(server).post('/health/resilience/partner-api/reset').expect(200);
    await request(server).get('/partner/c').expect(200);
    await request(server).get('/partner/d').expect(200);
    expect(breakers.reset('partner-api')).toBe(family);
  });
});

describe('per-key circuit breakers in the application', () => {
  let moduleRef: TestingModule | undefined;
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  const start = async (options: Partial<ResilienceModuleOptions> = {}, providers: unknown[] = [PartnerClient]) => {
    await moduleRef?.close();
    moduleRef = undefined;
    const clock = new FakeClock(START);
    moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ ...moduleOptions(clock), admin: undefined, ...options })],
      providers: providers as never[],
    }).compile();
    await moduleRef.init();
    return { clock, moduleRef };
  };

  it("methods naming one family share each key's breaker; the other policies are shared by every key", async () => {
    const { clock, moduleRef } = await start();
    const client = moduleRef.get(PartnerClient);
    client.failing.add('a');
    await expect(client.fetch('a', 'x')).rejects.toThrow('partner down for a');
    await expect(client.fetchFor({ tenantId: 'a' })).rejects.toThrow('partner down');
    // Two failures of the same key through two methods: its one breaker is open.
    await expect(client.fetch('a', 'x')).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(client.fetchFor({ tenantId: 'b' })).resolves.toBe('account:b');

    client.failing.add('q');
    const quoted = client.quote({ id: 'q' });
    await clock.tickAsync(10); // the retry's delay
    await expect(quoted).resolves.toBe('fallback'); // failed, retried once: its breaker opened first
    await expect(client.quote({ id: 'r' })).resolves.toBe('quote:r');
    expect(client.calls.filter((call) => call.startsWith('quote:'))).toEqual(['quote:q', 'quote:r']);
    const retries = moduleRef.get(RetryRegistry).list();
    expect(retries.map((retry) => retry.name)).toEqual(['PartnerClient.quote']);
    expect(retries[0]!.stats).toMatchObject({ failedWithRetry: 1, successWithoutRetry: 1 });
  });

  it('publishes state changes and rejections of per-key breakers with their key, and forgets evicted ones', async () => {
    const { clock, moduleRef } = await start();
    const client = moduleRef.get(PartnerClient);
    const events: ResilienceEvent[] = [];
    moduleRef.get(ResilienceEventBus).onEvent((event) => events.push(event));
    client.failing.add('a');
    await expect(client.fetch('a', 'x')).rejects.toThrow();
    await expect(client.fetch('a', 'x')).rejects.toThrow();
    await expect(client.fetch('a', 'x')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(events).toEqual([
      { type: 'state-change', name: 'partner-api', key: 'a', from: 'closed', to: 'open', reason: 'failure-threshold', at: iso(START) },
      { type: 'call-rejected', name: 'partner-api', key: 'a', state: 'open', retryAfterMs: 10_000, at: iso(START) },
    ]);

    const family = moduleRef.get(CircuitBreakerRegistry).family('partner-api')!;
    await client.fetch('b', 'x');
    const b = family.peek('b')!;
    clock.advance(600_000);
    for (const tenant of ['c', 'd']) await client.fetch(tenant, 'x');
    expect(family.has('b')).toBe(false);
    events.length = 0;
    b.forceOpen(); // an evicted breaker: nobody listens to it any more
    family.get('c').forceOpen();
    expect(events.map((event) => [event.type, event.name, 'key' in event ? event.key : undefined])).toEqual([['state-change', 'partner-api', 'c']]);
  });

  it("logs a key's transitions with its key", async () => {
    const clock = new FakeClock(START);
    const logger = new CapturingLogger();
    moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ ...moduleOptions(clock), admin: undefined, logging: { rateLimitMs: 0 } })],
      providers: [PartnerClient],
    })
      .setLogger(logger)
      .compile();
    await moduleRef.init();
    const client = moduleRef.get(PartnerClient);
    client.failing.add('a');
    await expect(client.fetch('a', 'x')).rejects.toThrow();
    await expect(client.fetch('a', 'x')).rejects.toThrow();
    client.failing.clear();
    await clock.tickAsync(10_000);
    await client.fetch('a', 'x');
    expect(logger.messages.filter((entry) => entry.context === 'Bulwark').map((entry) => `${entry.level}: ${entry.message}`)).toEqual([
      'warn: Circuit breaker "partner-api" (key "a") opened (2 consecutive failures, failure rate 100%); next trial in 10 s',
      'log: Circuit breaker "partner-api" (key "a") half-open after 10 s open; letting 1 trial call through',
      'log: Circuit breaker "partner-api" (key "a") closed after 10 s open (the trial calls succeeded)',
    ]);
  });

  it('applies per subscription to a method returning an Observable, keyed by its arguments', async () => {
    @Injectable()
    class Feed {
      subscriptions = 0;
      @CircuitBreaker({ name: 'feed', key: (tenant: string) => tenant, failureThreshold: 1 })
      stream(tenant: string): Observable<string> {
        this.subscriptions++;
        return tenant === 'bad' ? throwError(() => new Error('feed down')) : of(`${tenant}:1`);
      }
    }
    const { moduleRef } = await start({}, [Feed]);
    const feed = moduleRef.get(Feed);
    await expect(lastValueFrom(feed.stream('bad'))).rejects.toThrow('feed down');
    await expect(lastValueFrom(feed.stream('bad'))).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(lastValueFrom(feed.stream('good'))).resolves.toBe('good:1');
    expect(feed.subscriptions).toBe(2);
    expect(moduleRef.get(CircuitBreakerRegistry).family('feed')!.keys()).toEqual(['bad', 'good']);
  });

  it('names an unnamed per-key breaker after its method, and lets the decorator bound it', async () => {
    @Injectable()
    class Accounts {
      @CircuitBreaker({ key: (id: string) => id, maxKeys: 2, keyIdleTimeout: 1_000 })
      async load(id: string): Promise<string> {
        return id;
      }
    }
    const { clock, moduleRef } = await start({}, [Accounts]);
    const accounts = moduleRef.get(Accounts);
    for (const id of ['1', '2', '3']) await accounts.load(id);
    const family = moduleRef.get(CircuitBreakerRegistry).family('Accounts.load')!;
    expect([family.maxKeys, family.idleTimeoutMs]).toEqual([2, 1_000]);
    expect(family.keys()).toEqual(['2', '3']);
    clock.advance(1_000);
    // Idle keys go when a call comes, not when the family is read.
    expect(family.keys()).toEqual(['2', '3']);
    await accounts.load('4');
    expect(family.keys()).toEqual(['4']);
  });

  it('fails start-up when one name is used both per key and as one shared breaker, or configured differently', async () => {
    @Injectable()
    class Mixed {
      @CircuitBreaker('pricing-mixed')
      async shared(): Promise<void> {}
      @CircuitBreaker({ name: 'pricing-mixed', key: (id: string) => id })
      async keyed(_id: string): Promise<void> {}
    }
    await expect(start({}, [Mixed])).rejects.toThrow(/"pricing-mixed"/);

    @Injectable()
    class Differently {
      @CircuitBreaker({ name: 'tenants', key: (id: string) => id, failureThreshold: 1 })
      async one(_id: string): Promise<void> {}
      @CircuitBreaker({ name: 'tenants', key: (id: string) => id, failureThreshold: 2 })
      async two(_id: string): Promise<void> {}
    }
    await expect(start({}, [Differently])).rejects.toThrow('Circuit breaker "tenants" is configured differently');
    expect(() => CircuitBreaker({ name: 'x', key: 'tenantId' as never })).toThrow(TypeError);
  });

  it('keeps a configured name one shared breaker in an application that uses it so, though another class uses it per key', async () => {
    // PartnerClient (not part of this application) declares "quotes" per key.
    @Injectable()
    class PlainQuotes {
      @CircuitBreaker('quotes')
      async quote(): Promise<string> {
        return 'q';
      }
    }
    const { moduleRef } = await start({ circuitBreakers: { quotes: { failureThreshold: 3 } } }, [PlainQuotes]);
    await expect(moduleRef.get(PlainQuotes).quote()).resolves.toBe('q');
    const breakers = moduleRef.get(CircuitBreakerRegistry);
    expect(breakers.get('quotes')!.options.failureThreshold).toBe(3);
    expect(breakers.family('quotes')).toBeUndefined();
    expect(Object.keys(moduleRef.get(ResilienceHealthService).report().circuitBreakers)).toEqual(['quotes']);
  });

  it('exports per-key breakers as metrics labelled with their key, and announces them to observeBreakers', async () => {
    const registry = new Registry();
    const { moduleRef } = await start({ metrics: { registry } });
    const breakers = moduleRef.get(CircuitBreakerRegistry);
    const attached: string[] = [];
    const detached: string[] = [];
    const following = breakers.observeBreakers(
      (breaker) => attached.push(breaker.key === undefined ? breaker.name : `${breaker.name}/${breaker.key}`),
      (breaker) => detached.push(`${breaker.name}/${breaker.key}`),
    );
    const client = moduleRef.get(PartnerClient);
    client.failing.add('a');
    await expect(client.fetch('a', 'x')).rejects.toThrow();
    await expect(client.fetch('a', 'x')).rejects.toThrow();
    await client.fetch('b', 'x');
    breakers.family('partner-api')!.delete('b');
    following.dispose();
    await client.fetch('c', 'x');
    expect(attached).toEqual(['pricing', 'partner-api/a', 'partner-api/b']);
    expect(detached).toEqual(['partner-api/b']);

    const text = await registry.metrics();
    expect(text).toContain('bulwark_circuit_breaker_state{name="pricing",state="closed"} 1');
    expect(text).toContain('bulwark_circuit_breaker_state{name="partner-api",key="a",state="open"} 1');
    expect(text).toContain('bulwark_circuit_breaker_state{name="partner-api",key="c",state="closed"} 1');
    expect(text).toContain('bulwark_circuit_breaker_calls_total{name="partner-api",key="a",outcome="failure"} 2');
    expect(text).toContain('bulwark_call_duration_seconds_count{name="partner-api",key="a"} 2');
    expect(text).not.toContain('key="b"');
    expect(moduleRef.get(ResilienceHealthService).breaker('partner-api')!.keys).toHaveProperty('c');
  });
});
