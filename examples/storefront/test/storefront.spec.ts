import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import type { StorefrontTimings } from '../src/app/storefront.options.js';
import { HEALTHY } from '../src/downstreams/chaos.settings.js';
import { runOutageScenario, type ScenarioTimings } from '../src/scenario/outage-scenario.js';
import { startStorefront, type RunningStorefront } from '../src/storefront.js';

// The demo's scenario with every duration shortened. Margins are wide: a healthy loopback call
// takes a few ms against a 500 ms timeout, a slow one 2.5 s; and the scenario waits for breaker
// states (up to 5 s each) instead of sleeping for exact durations. Assertions are on states
// reached and counts, never on timing.
const APP_TIMINGS: StorefrontTimings = { recoveryTimeout: 400, internalTimeout: 500, retryBaseDelay: 10 };
const SCENARIO: ScenarioTimings = {
  tickMs: 40,
  warmupRounds: 8,
  cooldownRounds: 4,
  recoveryTimeout: APP_TIMINGS.recoveryTimeout,
  slowLatencyMs: 2_500,
  stateTimeoutMs: 5_000,
  requestTimeoutMs: 5_000,
};

let storefront: RunningStorefront | undefined;

afterEach(async () => {
  await storefront?.close();
  storefront = undefined;
});

async function start(): Promise<RunningStorefront> {
  storefront = await startStorefront({ port: 0, timings: APP_TIMINGS, logger: false });
  return storefront;
}

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${storefront!.url}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('storefront example', () => {
  it('serves every request through the three outages, and every breaker opens and recovers', async () => {
    const { url, downstreams, breakers } = await start();

    const summary = await runOutageScenario({ storefrontUrl: url, downstreams, breakers }, SCENARIO);

    expect(summary.failures).toEqual([]);
    expect(summary.failed).toBe(0);
    expect(summary.served).toBe(summary.requests);
    expect(summary.requests).toBeGreaterThan(100);
    // Each degradation path was used.
    expect(summary.outcomes.products.cached).toBeGreaterThan(0);
    expect(summary.outcomes.search.fallback).toBeGreaterThan(0);
    expect(summary.outcomes.dashboard.stale).toBeGreaterThan(0);
    expect(summary.degraded).toBeGreaterThan(0);

    expect(summary.outages.map((outage) => outage.dependency)).toEqual(['pricing', 'ranking', 'metrics']);
    for (const outage of summary.outages) {
      const path = outage.transitions.map((transition) => `${transition.from}>${transition.to}`);
      expect({ dependency: outage.dependency, opened: outage.opened, recovered: outage.recovered }).toEqual({
        dependency: outage.dependency,
        opened: true,
        recovered: true,
      });
      expect(path[0]).toBe('closed>open');
      expect(path.at(-1)).toBe('half-open>closed');
      expect(outage.callsSpared).toBeGreaterThan(0);
      expect(outage.failed).toBe(0);
      expect(outage.degraded).toBeGreaterThan(0);
      // An open breaker to an optional dependency degrades health without failing it.
      expect(outage.healthWhileOpen).toEqual({ httpStatus: 200, status: 'degraded', breakerState: 'open' });
    }
    expect(summary.finalHealth).toEqual({ httpStatus: 200, status: 'up' });
    expect(summary.passed).toBe(true);
  }, 30_000);

  it('answers from the live services when they are healthy', async () => {
    await start();

    expect(await get('/products/1')).toEqual({
      status: 200,
      body: expect.objectContaining({ id: '1', name: 'Oak desk lamp', price: 89, currency: 'EUR', priceSource: 'live', priceAgeMs: 0 }),
    });
    const search = await get('/search?q=oak');
    expect(search.status).toBe(200);
    expect(search.body['rankedBy']).toBe('ml');
    expect((search.body['results'] as { id: string }[]).map((hit) => hit.id)).toEqual(['1', '7', '6', '8']);
    const dashboard = await get('/dashboard');
    expect(dashboard.status).toBe(200);
    expect(dashboard.body).toEqual(expect.objectContaining({ source: 'live', metrics: expect.objectContaining({ ordersPerMinute: expect.any(Number) }) }));
    expect(dashboard.body['ageMs']).toEqual(expect.any(Number));

    expect((await get('/products/99')).status).toBe(404);
    expect((await get('/search')).status).toBe(400);
    const health = await get('/health/resilience');
    expect(health.status).toBe(200);
    expect(health.body['status']).toBe('up');
    const entries = health.body['circuitBreakers'] as Record<string, { state: string; critical: boolean }>;
    expect(Object.keys(entries).sort()).toEqual(['metrics', 'pricing', 'ranking']);
    // Each dependency's HTTP client has one breaker per origin: one origin each here.
    for (const entry of Object.values(entries)) expect(entry).toEqual(expect.objectContaining({ state: 'closed', critical: false, keyCount: 1 }));
  });

  it('marks each degraded answer: cached or unavailable prices, text-match search, stale metrics', async () => {
    const { downstreams } = await start();
    await get('/products/2');
    await get('/dashboard');

    downstreams.pricing.configure({ down: true });
    downstreams.ranking.configure({ errorRate: 1 });
    downstreams.metrics.configure({ errorRate: 1 });

    const cached = await get('/products/2');
    expect(cached.body).toEqual(expect.objectContaining({ price: 640, currency: 'EUR', priceSource: 'cached', priceAgeMs: expect.any(Number) }));
    // Never priced since start-up: no stale price to show, and still no error page.
    const never = await get('/products/3');
    expect(never).toEqual({ status: 200, body: expect.objectContaining({ id: '3', price: null, priceSource: 'unavailable', priceAgeMs: null }) });

    const search = await get('/search?q=oak');
    expect(search.status).toBe(200);
    expect(search.body['rankedBy']).toBe('fallback');
    expect((search.body['results'] as { id: string }[]).map((hit) => hit.id)).toEqual(['6', '1', '8', '7']);

    const dashboard = await get('/dashboard');
    expect(dashboard.status).toBe(200);
    expect(dashboard.body['source']).toBe('stale');
    expect(dashboard.body['ageMs']).toEqual(expect.any(Number));

    // Transient failures were retried (503s: 1 retry for ranking, 3 for metrics) with the breakers still closed.
    expect(downstreams.ranking.stats().errors).toBe(2);
    expect(downstreams.metrics.stats().errors).toBe(4);
  });

  it('logs each breaker transition once (ResilienceModule writes it; the storefront adds none)', async () => {
    const lines: string[] = [];
    const keep = (level: string) => (message: unknown, ...rest: unknown[]) => {
      const context = rest.at(-1);
      lines.push(`${level} [${typeof context === 'string' ? context : ''}] ${String(message)}`);
    };
    const logger: LoggerService = { log: keep('log'), warn: keep('warn'), error: keep('error'), debug: keep('debug'), verbose: keep('verbose') };
    const changes: string[] = [];
    storefront = await startStorefront({
      port: 0,
      timings: APP_TIMINGS,
      logger,
      onBreakerStateChange: ({ name, from, to }) => changes.push(`${name}: ${from} -> ${to}`),
    });
    // The pricing client's breakers are per origin: the first call creates the origin's one.
    await get('/products/1');
    const origin = new URL(storefront.downstreams.pricing.url).origin;
    storefront.breakers.forceOpen('pricing');
    storefront.breakers.reset('pricing');
    expect(changes).toEqual(['pricing: closed -> forced-open', 'pricing: forced-open -> closed']);
    const label = `Circuit breaker "pricing" (key ${JSON.stringify(origin)})`;
    expect(lines.filter((line) => /pricing/.test(line) && !/^log \[Router/.test(line))).toEqual([
      `warn [Bulwark] ${label} forced open (failure rate 0%); every call is rejected until it is reset`,
      expect.stringMatching(new RegExp(`^log \\[Bulwark\\] ${escape(label)} closed after `)),
    ]);
  });

  it('exposes chaos controls on each downstream', async () => {
    const { downstreams } = await start();
    const base = downstreams.pricing.url;
    const post = (path: string, body?: string) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body === undefined ? {} : { body }) });

    const configured = await post('/chaos', '{"latencyMs":50,"errorRate":0.5}');
    expect(configured.status).toBe(200);
    expect(await configured.json()).toEqual({ ...HEALTHY, errorRate: 0.5, latencyMs: 50 });
    // slow and pushback are merged field by field.
    expect(await (await post('/chaos', '{"jitterMs":5,"slow":{"rate":0.1},"pushback":{"requests":2,"status":429}}')).json()).toEqual({
      ...HEALTHY,
      errorRate: 0.5,
      latencyMs: 50,
      jitterMs: 5,
      slow: { ...HEALTHY.slow, rate: 0.1 },
      pushback: { requests: 2, status: 429, retryAfterSec: 1 },
    });
    for (const [body, error] of [
      ['{"errorRate":2}', 'errorRate must be a number from 0 to 1'],
      ['{"explode":true}', 'unknown setting "explode" (known: errorRate, latencyMs, jitterMs, slow, pushback, hang, down)'],
      ['[1]', 'the body must be a JSON object'],
      ['{"slow":{"next":1.5}}', 'slow.next must be an integer from 0 to 1000000'],
      ['{"slow":{"often":true}}', 'unknown setting "slow.often" (known: rate, next, latencyMs)'],
      ['{"pushback":{"status":500}}', 'pushback.status must be 503 or 429'],
      ['{"pushback":{"retryAfterSec":-1}}', 'pushback.retryAfterSec must be an integer from 0 to 3600'],
      ['{"pushback":1}', 'pushback must be a JSON object'],
    ] as const) {
      const rejected = await post('/chaos', body);
      expect({ body, status: rejected.status, answer: await rejected.json() }).toEqual({ body, status: 400, answer: { error } });
    }
    expect(await (await post('/chaos/reset')).json()).toEqual(HEALTHY);

    // Every request is recorded: when it arrived, the deadline header it carried, what became of it.
    await post('/chaos', '{"pushback":{"requests":1,"retryAfterSec":7}}');
    const refused = await fetch(`${base}/prices/1`, { headers: { 'x-request-deadline-ms': '1234' } });
    expect({ status: refused.status, retryAfter: refused.headers.get('retry-after') }).toEqual({ status: 503, retryAfter: '7' });
    await refused.arrayBuffer();
    await fetch(`${base}/prices/1`).then((response) => response.json());
    const stats = (await (await fetch(`${base}/stats`)).json()) as { service: string; received: number };
    expect(stats).toEqual(expect.objectContaining({ service: 'pricing', received: 2, pushedBack: 1, answered: 1 }));
    const log = (await (await fetch(`${base}/requests?since=1`)).json()) as { requests: Record<string, unknown>[] };
    expect(log.requests).toEqual([
      expect.objectContaining({ seq: 2, method: 'GET', path: '/prices/1', deadlineHeader: null, slow: false, outcome: 'answered', status: 200 }),
    ]);
    expect(downstreams.pricing.requests()[0]).toEqual(
      expect.objectContaining({ seq: 1, deadlineHeader: '1234', outcome: 'pushback', status: 503, arrivedAt: expect.any(Number) }),
    );
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
