import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CircuitOpenError, FakeClock, TimeoutError } from '@bulwark/core';
import { resilientFetch } from '@bulwark/http';
import { answer, TestServer, until } from './support/test-server.js';

let server: TestServer;
let other: TestServer;
beforeEach(async () => {
  server = await TestServer.start();
  other = await TestServer.start();
});
afterEach(async () => {
  await server.stop();
  await other.stop();
});

/** No waiting between attempts: these specs judge what is retried, not when. */
const quickRetry = { baseDelay: 0 };

describe('resilientFetch: what is a failure, what is retried', () => {
  it.each([
    [200, 1, 'success'],
    [201, 1, 'success'],
    [301, 1, 'success'],
    [400, 1, 'success'],
    [404, 1, 'success'],
    [409, 1, 'success'],
    [408, 4, 'failure'],
    [429, 4, 'failure'],
    [500, 4, 'failure'],
    [502, 4, 'failure'],
    [503, 4, 'failure'],
  ])('%i: %i attempt(s), and the breaker counts a %s; the final answer is returned, not thrown', async (status, attempts, counted) => {
    server.handle((_request, response) => answer(response, status));
    const fetch = resilientFetch({ retry: quickRetry, circuitBreaker: { failureThreshold: 100 }, deadline: false });
    const response = await fetch(`${server.url}/items`, { redirect: 'manual' });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ status });
    expect(server.requests).toHaveLength(attempts);
  });

  it('a network error is retried, then rejects with it (TypeError, as fetch does)', async () => {
    const url = server.url;
    await server.stop();
    let sent = 0;
    const counting: typeof globalThis.fetch = (input, init) => {
      sent++;
      return globalThis.fetch(input, init);
    };
    const fetch = resilientFetch({ retry: quickRetry, fetch: counting });
    // undici's TypeError comes from another realm than the test's: judged by name, not instanceof.
    await expect(fetch(`${url}/items`)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(sent).toBe(4);
    server = await TestServer.start(); // for afterEach
  });

  it('retries idempotent methods only; a POST with an Idempotency-Key is retried too', async () => {
    server.handle((_request, response) => answer(response, 503));
    // The breaker is not under test here: it would open after five failures.
    const fetch = resilientFetch({ retry: quickRetry, circuitBreaker: false, deadline: false });
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']) {
      server.requests.length = 0;
      await fetch(`${server.url}/x`, { method });
      expect([method, server.requests.length]).toEqual([method, 4]);
    }
    for (const method of ['POST', 'PATCH']) {
      server.requests.length = 0;
      expect((await fetch(`${server.url}/x`, { method, body: '{}' })).status).toBe(503);
      expect([method, server.requests.length]).toEqual([method, 1]);
    }
    server.requests.length = 0;
    await fetch(`${server.url}/x`, { method: 'POST', body: '{}', headers: { 'Idempotency-Key': 'order-42' } });
    expect(server.requests).toHaveLength(4);
    // A request may say so itself, either way.
    server.requests.length = 0;
    await fetch(`${server.url}/x`, { resilience: { retry: false } });
    expect(server.requests).toHaveLength(1);
  });

  it('one breaker per origin: a failing origin is refused, another is still called', async () => {
    server.handle((_request, response) => answer(response, 500));
    other.handle((_request, response) => answer(response, 200));
    const fetch = resilientFetch({ retry: false, circuitBreaker: { failureThreshold: 2 }, deadline: false });
    await fetch(`${server.url}/a`);
    await fetch(`${server.url}/b`);
    await expect(fetch(`${server.url}/c`)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.requests).toHaveLength(2);
    expect((await fetch(`${other.url}/a`)).status).toBe(200);
  });
});

describe('resilientFetch: the server’s time, and deadlines', () => {
  it('waits what Retry-After says before the next attempt, and never less', async () => {
    const clock = new FakeClock();
    let calls = 0;
    server.handle((_request, response) => (++calls === 1 ? answer(response, 503, { 'retry-after': '2' }) : answer(response, 200)));
    const fetch = resilientFetch({ clock, retry: { random: () => 0 } });
    const pending = fetch(`${server.url}/slow-down`);
    await until(() => server.requests.length === 1 && clock.pendingTimers >= 2, 'the first answer');
    await clock.tickAsync(1_999);
    expect(server.requests).toHaveLength(1);
    await clock.tickAsync(1);
    expect((await pending).status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it('sends each attempt the budget left, less the margin, and does not start an attempt that cannot finish', async () => {
    const clock = new FakeClock();
    server.handle((_request, response) => answer(response, 200));
    const fetch = resilientFetch({ clock, timeout: 10_000, attemptTimeout: 3_000, deadline: { margin: 50 } });
    await fetch(`${server.url}/a`);
    // The attempt's own budget (3 s) is the nearer one.
    expect(server.requests[0]!.headers['x-request-deadline-ms']).toBe('2950');
    await fetch(`${server.url}/b`, { resilience: { timeout: 1_000 } });
    expect(server.requests[1]!.headers['x-request-deadline-ms']).toBe('950');
    await expect(fetch(`${server.url}/c`, { resilience: { timeout: 40 } })).rejects.toBeInstanceOf(TimeoutError);
    expect(server.requests).toHaveLength(2);
  });

  it('the caller’s signal cancels the request, and the server sees it go', async () => {
    server.handle(() => undefined); // never answers
    const fetch = resilientFetch({ deadline: false });
    const controller = new AbortController();
    const pending = fetch(`${server.url}/hang`, { signal: controller.signal });
    await until(() => server.requests.length === 1, 'the request');
    controller.abort(new Error('user left'));
    await expect(pending).rejects.toThrow('user left');
    await until(() => server.requests[0]!.aborted, 'the server to see the request closed');
  });
});

describe('resilientFetch: hedged reads', () => {
  it('sends a second read when the first is slow; the first answer wins and the other is aborted', async () => {
    let calls = 0;
    server.handle((_request, response) => {
      if (++calls === 1) return; // the first request hangs
      answer(response, 200);
    });
    const fetch = resilientFetch({ hedging: { delay: 20 }, deadline: false });
    const response = await fetch(`${server.url}/read`);
    expect(response.status).toBe(200);
    expect(server.requests).toHaveLength(2);
    await until(() => server.requests[0]!.aborted, 'the slow request to be aborted');
  });

  it('sends no second request for a fast answer, a write, or when asked not to', async () => {
    server.handle((_request, response) => answer(response, 200));
    const fetch = resilientFetch({ hedging: { delay: 1_000 }, deadline: false });
    await fetch(`${server.url}/fast`);
    await fetch(`${server.url}/write`, { method: 'PUT', body: 'x' });
    await fetch(`${server.url}/no`, { resilience: { hedging: false } });
    expect(server.requests).toHaveLength(3);
  });
});

describe('resilientFetch: sockets', () => {
  it('releases the connection of every failed attempt: 10,000 failed attempts reuse a handful of sockets', async () => {
    server.handle((_request, response) => answer(response, 503));
    const fetch = resilientFetch({ retry: { maxRetries: 1, baseDelay: 0 }, circuitBreaker: false, deadline: false });
    const calls = 5_000;
    const concurrency = 10;
    let next = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) {
          next++;
          const response = await fetch(`${server.url}/down`);
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          await response.body?.cancel();
        }
      }),
    );
    expect(server.requests).toHaveLength(2 * calls);
    expect([...statuses]).toEqual([[503, calls]]);
    // Keep-alive: the pool's connections are reused, never one per attempt.
    expect(server.connections).toBeLessThanOrEqual(4 * concurrency);
  }, 120_000);
});
