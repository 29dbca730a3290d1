'use strict';
// Shared by both compatibility apps (main.mjs imports it, main.cjs requires it): the loopback
// downstream, the decorator helpers JavaScript needs, and the checks every app must pass. The
// application itself is written per module format, as a user of that format would write it.
const { createServer } = require('node:http');
const { isDeepStrictEqual } = require('node:util');

/** A failed check (as opposed to an unexpected error). */
class CheckFailed extends Error {}

const WATCHDOG_MS = 30_000;

/** Fails the run if it has not ended after 30 s (a hang). */
function startWatchdog() {
  const watchdog = setTimeout(() => fail(`no result after ${WATCHDOG_MS} ms (hung?)`), WATCHDOG_MS);
  watchdog.unref();
}

// ---- decorator helpers (the equivalent of tslib's __decorate / __param) ----------------------

function decorateClass(target, decorators) {
  return Reflect.decorate(decorators, target);
}

function decorateMethod(target, key, decorators) {
  const proto = target.prototype;
  const descriptor = Reflect.decorate(decorators, proto, key, Object.getOwnPropertyDescriptor(proto, key));
  Object.defineProperty(proto, key, descriptor);
}

/** A parameter decorator at `index`, usable in a Reflect.decorate list. */
function param(index, decorator) {
  return (target, key) => decorator(target, key, index);
}

// ---- a downstream "pricing service" on loopback that the checks can break ---------------------

async function startDownstream() {
  // `stock`: the inventory route the @bulwark/http checks call; `stockFailures` answers 503 with a
  // Retry-After before it answers 200; `deadlines` keeps the x-request-deadline-ms each request carried.
  const state = { fail: false, hits: 0, stockHits: 0, stockFailures: 0, deadlines: [] };
  const server = createServer((req, res) => {
    if (req.url.startsWith('/stock/')) {
      state.stockHits++;
      state.deadlines.push(req.headers['x-request-deadline-ms']);
      res.setHeader('content-type', 'application/json');
      if (state.stockFailures > 0) {
        state.stockFailures--;
        res.writeHead(503, { 'retry-after': '0' });
        res.end(JSON.stringify({ message: 'inventory is busy' }));
        return;
      }
      res.end(JSON.stringify({ sku: decodeURIComponent(req.url.slice('/stock/'.length)), stock: 7 }));
      return;
    }
    state.hits++;
    const sku = decodeURIComponent(req.url.replace(/^\/price\//, ''));
    res.setHeader('content-type', 'application/json');
    if (state.fail) {
      res.statusCode = 500;
      res.end(JSON.stringify({ message: 'pricing is down' }));
      return;
    }
    res.end(JSON.stringify({ sku, price: sku.length * 100 }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { state, server, baseUrl: `http://127.0.0.1:${server.address().port}` };
}

// ---- the checks ------------------------------------------------------------------------------

/**
 * Boots `AppModule` with `NestFactory`, runs every check over HTTP, closes everything and exits:
 * 0 when all pass, 1 with a message naming the failed check otherwise.
 * `signalSeen()`: what `currentSignal()` returned inside the decorated method;
 * `breakerState(app)`: the `pricing` breaker's state read through `CircuitBreakerRegistry`.
 */
async function runApp({ NestFactory, AppModule, downstream: { state: downstream, server, baseUrl }, signalSeen, breakerState, stockSubscriptions, redis, http, shedding }) {
  let app;
  try {
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;

    let step = 'GET /prices/abc while the downstream is up';
    let res = await call(base, '/prices/abc');
    expect(step, 'HTTP status', res.status, 200);
    expectEqual(step, 'body', res.body, { sku: 'abc', price: 300 });
    expect(step, 'downstream hits', downstream.hits, 1);
    expect(step, 'currentSignal() inside the call is an AbortSignal', signalSeen() instanceof AbortSignal, true);

    downstream.fail = true;
    step = 'GET /prices/abc while the downstream fails (2 attempts, breaker opens)';
    res = await call(base, '/prices/abc');
    expect(step, 'HTTP status', res.status, 200);
    expectEqual(step, 'body', res.body, { sku: 'abc', price: null, stale: true, reason: 'downstream-error' });
    expect(step, 'downstream hits (1 + retry)', downstream.hits, 3);

    step = 'GET /prices/abc with the breaker open';
    res = await call(base, '/prices/abc');
    expect(step, 'HTTP status', res.status, 200);
    expectEqual(step, 'body', res.body, { sku: 'abc', price: null, stale: true, reason: 'circuit-open' });
    expect(step, 'downstream hits (breaker open: none)', downstream.hits, 3);

    step = 'GET /stocks/abc (an Observable handler without return-type metadata, on a request-scoped controller, retried per subscription by a forFeature policy)';
    res = await call(base, '/stocks/abc');
    expect(step, 'HTTP status', res.status, 200);
    expectEqual(step, 'body', res.body, { sku: 'abc', stock: 7 });
    expect(step, 'subscriptions (1 + retry)', stockSubscriptions(), 2);

    step = 'CircuitBreakerRegistry';
    expect(step, "get('pricing').state", breakerState(app), 'open');

    step = 'GET /health/resilience';
    res = await call(base, '/health/resilience');
    expect(step, 'HTTP status', res.status, 503);
    expect(step, 'status', res.body?.status, 'down');
    expect(step, 'circuitBreakers.pricing.state', res.body?.circuitBreakers?.pricing?.state, 'open');
    expect(step, 'circuitBreakers.pricing.critical', res.body?.circuitBreakers?.pricing?.critical, true);
    expect(step, 'Cache-Control header', res.headers.get('cache-control'), 'no-store');

    step = 'GET /health/resilience/pricing';
    res = await call(base, '/health/resilience/pricing');
    expect(step, 'HTTP status', res.status, 200);
    expect(step, 'state', res.body?.state, 'open');
    expect(step, 'openedAt is an ISO-8601 string', typeof res.body?.openedAt === 'string' && !Number.isNaN(Date.parse(res.body.openedAt)), true);

    step = 'GET /health/resilience/dashboard';
    res = await call(base, '/health/resilience/dashboard');
    expect(step, 'HTTP status', res.status, 200);
    expect(step, 'an HTML page', typeof res.body === 'string' && res.body.includes('<html'), true);

    step = 'GET /health/resilience/events (Server-Sent Events, replayed on connect)';
    const stream = await firstEvents(base, '/health/resilience/events', 'state-change');
    expect(step, 'content type', stream.contentType?.startsWith('text/event-stream'), true);
    expect(step, 'replays the breaker opening', /"type":"state-change","name":"pricing","from":"closed","to":"open"/.test(stream.text), true);

    step = 'GET /reports/7 (a method with @Bulkhead({ adaptive: true }))';
    res = await call(base, '/reports/7');
    expect(step, 'HTTP status', res.status, 200);
    expectEqual(step, 'body', res.body, { id: '7', rows: 3 });
    res = await call(base, '/health/resilience');
    const reports = res.body?.bulkheads?.['ReportsController.get'];
    expect(step, `health lists it under bulkheads (${JSON.stringify(res.body?.bulkheads)})`, reports?.adaptive, true);
    expect(step, 'its algorithm', reports?.algorithm, 'gradient2');
    expect(step, 'its limit is a number', typeof reports?.limit, 'number');

    await checkHttp(base, downstream, baseUrl, http);

    await app.close();
    app = undefined;
    await checkLoadShedding(NestFactory, shedding);
    server.close();
    if (redis !== undefined) await checkRedisStore(redis);
    console.log('all checks passed');
    process.exit(0);
  } catch (error) {
    if (error instanceof CheckFailed) fail(error.message);
    fail(`unexpected error: ${error?.stack ?? error}`);
  }
}

/**
 * A second application, with `loadShedding` at a limit of one request: while `/shed/hold` holds the
 * place, a default-priority route is answered 503 with `Retry-After` before its handler runs, and a
 * `@Priority('critical')` one and health still answer.
 */
async function checkLoadShedding(NestFactory, { AppModule, held }) {
  const app = await NestFactory.create(AppModule, { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
    let step = 'load shedding: GET /shed/work with nothing in flight';
    let res = await call(base, '/shed/work');
    expect(step, 'HTTP status', res.status, 200);

    step = 'load shedding: GET /shed/hold holds the one place';
    const holding = call(base, '/shed/hold');
    const start = Date.now();
    while (held.entered === 0 && Date.now() - start < 5_000) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(step, 'the held handler ran', held.entered, 1);

    step = 'load shedding: GET /shed/work while the place is held';
    res = await call(base, '/shed/work');
    expect(step, 'HTTP status', res.status, 503);
    expect(step, 'Retry-After header', res.headers.get('retry-after'), '1');
    expect(step, 'body.statusCode', res.body?.statusCode, 503);

    step = 'load shedding: GET /shed/urgent (@Priority(\'critical\')) while the place is held';
    res = await call(base, '/shed/urgent');
    expect(step, 'HTTP status', res.status, 200);

    step = 'load shedding: GET /health/resilience while the place is held';
    res = await call(base, '/health/resilience');
    expect(step, 'HTTP status', res.status, 200);
    expectEqual(step, 'loadShedding', res.body?.loadShedding, { limit: 1, inFlight: 1, queued: 0, shed: 1 });

    held.release();
    step = 'load shedding: the held request';
    expect(step, 'HTTP status', (await holding).status, 200);
  } finally {
    held.release();
    await app.close();
  }
}

/**
 * @bulwark/http from its tarball, its three forms: `HttpService` of `ResilientHttpModule` (the
 * app's `/inventory/:sku`, with `@Deadline`), `resilientFetch`, and the axios adapter. Each meets a
 * 503 with `Retry-After: 0` once and retries it; the app's request budget reaches the downstream.
 */
async function checkHttp(base, downstream, downstreamUrl, { fetch: resilient, axios }) {
  let step = 'GET /inventory/abc (HttpService of ResilientHttpModule; the downstream answers 503 once)';
  downstream.stockFailures = 1;
  downstream.stockHits = 0;
  downstream.deadlines.length = 0;
  let res = await call(base, '/inventory/abc');
  expect(step, 'HTTP status', res.status, 200);
  expectEqual(step, 'body', res.body, { sku: 'abc', stock: 7 });
  expect(step, 'downstream hits (1 + retry)', downstream.stockHits, 2);
  const sent = Number(downstream.deadlines[1]);
  expect(step, 'the handler\'s @Deadline(2000), less the margin, reached the downstream', sent > 0 && sent <= 1_950, true);

  step = 'GET /inventory/abc with x-request-deadline-ms: 500';
  downstream.deadlines.length = 0;
  const answer = await fetch(`${base}/inventory/abc`, { headers: { 'x-request-deadline-ms': '500' } });
  expect(step, 'HTTP status', answer.status, 200);
  const forwarded = Number(downstream.deadlines[0]);
  expect(step, 'the smaller budget, less the margin, reached the downstream', forwarded > 0 && forwarded <= 450, true);

  step = 'GET /health/resilience lists the client\'s per-origin breakers';
  res = await call(base, '/health/resilience');
  expect(step, `circuitBreakers.inventory is there (${Object.keys(res.body?.circuitBreakers ?? {})})`, typeof res.body?.circuitBreakers?.inventory, 'object');

  step = 'resilientFetch (the downstream answers 503 once)';
  downstream.stockFailures = 1;
  downstream.stockHits = 0;
  const fetched = await resilient(`${downstreamUrl}/stock/xyz`);
  expect(step, 'status', fetched.status, 200);
  expectEqual(step, 'body', await fetched.json(), { sku: 'xyz', stock: 7 });
  expect(step, 'downstream hits (1 + retry)', downstream.stockHits, 2);

  step = 'axios with resilientAxiosAdapter (the downstream answers 503 once)';
  downstream.stockFailures = 1;
  downstream.stockHits = 0;
  const got = await axios.get(`${downstreamUrl}/stock/q`);
  expect(step, 'status', got.status, 200);
  expectEqual(step, 'data', got.data, { sku: 'q', stock: 7 });
  expect(step, 'downstream hits (1 + retry)', downstream.stockHits, 2);
}

/**
 * @bulwark/redis from its tarball: options are validated; with a Redis (`BULWARK_REDIS_URL`, which
 * .ci/run sets) two stores stand for two replicas and a force-open on one reaches the other.
 */
async function checkRedisStore({ redisStore, Redis, CircuitBreakerPolicy }) {
  let step = 'redisStore({ client: {} })';
  let message;
  try {
    redisStore({ client: {} });
  } catch (error) {
    message = error.message;
  }
  expect(step, 'rejects a non-ioredis client, naming the option', /redisStore\.client must be an ioredis client/.test(message ?? ''), true);
  const url = process.env.BULWARK_REDIS_URL;
  if (!url) {
    console.log('redis: BULWARK_REDIS_URL not set; the shared-state check needs a Redis and was skipped');
    return;
  }
  step = 'two redisStore replicas: force-open on one';
  const prefix = `compat-${process.pid}-${Date.now()}`;
  const logger = { log() {}, warn() {} };
  const replicas = [0, 1].map(() => {
    const client = new Redis(url);
    const store = redisStore({ client, prefix, logger });
    const breaker = new CircuitBreakerPolicy({ name: 'pricing' });
    store.attachCircuitBreaker(breaker);
    return { client, store, breaker };
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
  replicas[0].breaker.forceOpen();
  const start = Date.now();
  while (replicas[1].breaker.state !== 'forced-open' && Date.now() - start < 2_000) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(step, 'the other replica\'s state', replicas[1].breaker.state, 'forced-open');
  for (const { client, store } of replicas) {
    await store.close();
    client.disconnect();
  }
}

// ---- helpers ---------------------------------------------------------------------------------

/** Reads an SSE stream until `marker` shows up (3 s at most), then disconnects. */
async function firstEvents(base, path, marker) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 3000);
  let text = '';
  let contentType;
  try {
    const response = await fetch(base + path, { signal: controller.signal });
    contentType = response.headers.get('content-type');
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    while (!text.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    if (error?.name !== 'AbortError') throw error;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return { text, contentType };
}

async function call(base, path) {
  const response = await fetch(base + path);
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

function expect(step, what, actual, expected) {
  if (actual !== expected) {
    throw new CheckFailed(`${step}: ${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

function expectEqual(step, what, actual, expected) {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new CheckFailed(`${step}: ${what} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

function fail(message) {
  console.error(`CHECK FAILED: ${message}`);
  process.exit(1);
}

module.exports = { decorateClass, decorateMethod, param, runApp, startDownstream, startWatchdog };
