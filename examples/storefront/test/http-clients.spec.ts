import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { showDeadline, showHedgedRead, showRetryAfter } from '../src/scenario/http-showcase.js';
import { startStorefront, type RunningStorefront } from '../src/storefront.js';

// What the storefront's @bulwark/http clients do, end to end over real HTTP, with the article's
// timings (3 s per attempt). Each behaviour is read from the downstream's own record of the
// requests it received; the only timing asserted is the one the server asked for (Retry-After)
// and the budget the header may carry.

let storefront: RunningStorefront | undefined;

afterEach(async () => {
  await storefront?.close();
  storefront = undefined;
});

async function start() {
  storefront = await startStorefront({ port: 0, logger: false });
  return { storefrontUrl: storefront.url, downstreams: storefront.downstreams };
}

describe('storefront HTTP clients', () => {
  it.each([503, 429] as const)('retries a product price refused with %i once the Retry-After has passed, not before', async (status) => {
    const env = await start();

    const shown = await showRetryAfter(env, { status, retryAfterSec: 1 });

    expect(shown.attempts.map(({ outcome, status: answered }) => ({ outcome, answered }))).toEqual([
      { outcome: 'pushback', answered: status },
      { outcome: 'answered', answered: 200 },
    ]);
    expect(shown.gapMs).toBeGreaterThanOrEqual(1_000);
    // The retry answered: the page has a live price, not the fallback's.
    expect(shown.priceSource).toBe('live');
    expect(shown.passed).toBe(true);
  });

  it('passes what is left of the request’s x-request-deadline-ms to pricing, less the margin', async () => {
    const env = await start();

    const shown = await showDeadline(env, { sentMs: 800 });

    expect(shown.receivedMs).toEqual(expect.any(Number));
    expect(shown.receivedMs).toBeGreaterThan(0);
    expect(shown.receivedMs).toBeLessThanOrEqual(750);
    expect(shown.priceSource).toBe('live');
    expect(shown.passed).toBe(true);

    // Without a budget from the caller, pricing gets the attempt's own (3 s), less the margin.
    const before = env.downstreams.pricing.requestsReceived;
    await fetch(`${env.storefrontUrl}/products/3`).then((response) => response.json());
    const [plain] = env.downstreams.pricing.requests(before);
    expect(Number(plain?.deadlineHeader)).toBeGreaterThan(750);
    expect(Number(plain?.deadlineHeader)).toBeLessThanOrEqual(2_950);
  });

  it('hedges a slow ranking read: the second request answers, the slow one is cancelled', async () => {
    const env = await start();

    const shown = await showHedgedRead(env, { slowMs: 2_000 });

    expect(shown.requests).toHaveLength(2);
    expect(shown.requests.filter((request) => request.slow)).toEqual([expect.objectContaining({ outcome: 'cancelled', status: null })]);
    expect(shown.requests.filter((request) => !request.slow)).toEqual([expect.objectContaining({ outcome: 'answered', status: 200 })]);
    expect(shown.rankedBy).toBe('ml');
    expect(shown.passed).toBe(true);
    // The search's breaker counted one success, and the cancelled loser as nothing.
    const [breaker] = storefront!.breakers.family('ranking')!.list();
    expect(breaker!.snapshot()).toEqual(expect.objectContaining({ state: 'closed', calls: expect.objectContaining({ failure: 0 }) }));
  });
});
