import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CircuitOpenError } from '@bulwark/core';
import { createHttpPolicies } from '@bulwark/http';
import { answer, TestServer } from './support/test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await TestServer.start();
});
afterEach(async () => {
  await server.stop();
});

/** A client of the user's own: answers with `{ status }`, rejects with `{ response: { status } }` for 5xx. */
async function ownClient(url: string, signal: AbortSignal, headers: Record<string, string> = {}): Promise<{ status: number }> {
  const response = await fetch(url, { signal, headers });
  await response.body?.cancel();
  if (response.status >= 500) throw Object.assign(new Error(`HTTP ${response.status}`), { response: { status: response.status } });
  return { status: response.status };
}

describe('createHttpPolicies', () => {
  it('judges an answer or an error by its status, retries idempotent requests only, one breaker per origin', async () => {
    server.handle((request, response) => answer(response, request.url === '/busy' ? 429 : request.url === '/missing' ? 404 : 503));
    const http = createHttpPolicies({ retry: { baseDelay: 0 }, circuitBreaker: { failureThreshold: 100 }, deadline: false });
    const get = (path: string, method = 'GET') =>
      http.forRequest({ method, url: `${server.url}${path}` }).execute((context) => ownClient(`${server.url}${path}`, context.signal));

    expect(await get('/busy')).toEqual({ status: 429 }); // a failure answer: retried, then returned
    expect(server.requests).toHaveLength(4);
    await expect(get('/down')).rejects.toThrow('HTTP 503'); // a failure error: retried, then rethrown
    expect(server.requests).toHaveLength(8);
    expect(await get('/missing')).toEqual({ status: 404 });
    expect(server.requests).toHaveLength(9);
    await expect(get('/down', 'POST')).rejects.toThrow('HTTP 503');
    expect(server.requests).toHaveLength(10);

    const breaker = http.circuitBreakers!.get(new URL(server.url).origin);
    expect(breaker.snapshot().calls).toMatchObject({ failure: 9, success: 1 }) // 4 + 4 + 1 failed attempts, the 404;
    expect(http.circuitBreakers!.size).toBe(1);
  });

  it('opens the breaker of an origin: its requests are refused, another origin’s are not', async () => {
    server.handle((_request, response) => answer(response, 503));
    const http = createHttpPolicies({ retry: false, circuitBreaker: { failureThreshold: 2 }, deadline: false });
    const call = (url: string) => http.forRequest({ method: 'GET', url }).execute((context) => ownClient(url, context.signal));
    await call(`${server.url}/a`).catch(() => undefined);
    await call(`${server.url}/a`).catch(() => undefined);
    await expect(call(`${server.url}/a`)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(call('http://localhost:1/a')).rejects.not.toBeInstanceOf(CircuitOpenError);
  });

  it('gives each attempt its deadline header', async () => {
    server.handle((_request, response) => answer(response, 200));
    const http = createHttpPolicies({ timeout: 2_000, attemptTimeout: 500, deadline: { header: 'x-budget', margin: 100 } });
    const url = `${server.url}/a`;
    await http.forRequest({ method: 'GET', url }).execute((context) => {
      const [name, value] = http.deadlineHeader(context)!;
      return ownClient(url, context.signal, { [name]: value });
    });
    const sent = Number(server.requests[0]!.headers['x-budget']);
    expect(sent).toBeGreaterThan(300);
    expect(sent).toBeLessThanOrEqual(400);
  });
});
