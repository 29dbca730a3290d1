import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { CircuitOpenError, TimeoutError } from '@bulwark/core';
import { resilientAxiosAdapter } from '@bulwark/http/axios';
import axios, { AxiosError, type AxiosResponse } from 'axios';
import type { Readable } from 'node:stream';
import { answer, TestServer, until } from './support/test-server.js';

let server: TestServer;
beforeEach(async () => {
  server = await TestServer.start();
});
afterEach(async () => {
  await server.stop();
});

/** No waiting between attempts: these specs judge what is retried, not when. */
const quickRetry = { baseDelay: 0 };

describe('resilientAxiosAdapter', () => {
  it('retries a 503 and then rejects with axios’ own error for it; a 404 is one attempt and no failure', async () => {
    server.handle((request, response) => answer(response, request.url === '/missing' ? 404 : 503));
    const client = axios.create({ baseURL: server.url, adapter: resilientAxiosAdapter({ retry: quickRetry, circuitBreaker: { failureThreshold: 100 } }) });
    const down = await client.get('/down').catch((error: unknown) => error);
    expect(axios.isAxiosError(down)).toBe(true);
    expect((down as AxiosError).response?.status).toBe(503);
    expect((down as AxiosError).code).toBe(AxiosError.ERR_BAD_RESPONSE);
    expect((down as AxiosError).config?.url).toBe('/down');
    expect(server.requests).toHaveLength(4);

    server.requests.length = 0;
    const missing = await client.get('/missing').catch((error: unknown) => error);
    expect((missing as AxiosError).response?.status).toBe(404);
    expect(server.requests).toHaveLength(1);
    // validateStatus still decides what rejects: every status resolves here, after its retries.
    server.requests.length = 0;
    const accepted = await client.get('/down', { validateStatus: () => true });
    expect([accepted.status, accepted.data]).toEqual([503, { status: 503 }]);
    expect(server.requests).toHaveLength(4);
  });

  it('does not retry a POST unless it carries an Idempotency-Key; a request can say otherwise', async () => {
    server.handle((_request, response) => answer(response, 503));
    const client = axios.create({ baseURL: server.url, validateStatus: () => true, adapter: resilientAxiosAdapter({ retry: quickRetry, circuitBreaker: false }) });
    await client.post('/orders', { id: 1 });
    expect(server.requests).toHaveLength(1);
    await client.post('/orders', { id: 1 }, { headers: { 'Idempotency-Key': 'order-1' } });
    expect(server.requests).toHaveLength(5);
    await client.get('/orders', { resilience: { retry: false } });
    expect(server.requests).toHaveLength(6);
  });

  it('sends the budget left as x-request-deadline-ms, and rejects with TimeoutError when an attempt runs out', async () => {
    server.handle((request, response) => (request.url === '/hang' ? undefined : answer(response, 200)));
    const client = axios.create({ baseURL: server.url, adapter: resilientAxiosAdapter({ timeout: 5_000, attemptTimeout: 60, retry: { maxRetries: 1, baseDelay: 0 } }) });
    await client.get('/ok');
    const sent = Number(server.requests[0]!.headers['x-request-deadline-ms']);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(10);
    await expect(client.get('/hang')).rejects.toBeInstanceOf(TimeoutError);
    expect(server.requests.filter((seen) => seen.url === '/hang')).toHaveLength(2);
    await until(() => server.requests.every((seen) => seen.url !== '/hang' || seen.aborted), 'the timed-out attempts to be aborted');
  });

  it('opens the origin’s breaker: further requests reject with CircuitOpenError without reaching the server', async () => {
    server.handle((_request, response) => answer(response, 500));
    const client = axios.create({ baseURL: server.url, adapter: resilientAxiosAdapter({ retry: false, circuitBreaker: { failureThreshold: 2 } }) });
    await client.get('/a').catch(() => undefined);
    await client.get('/b').catch(() => undefined);
    await expect(client.get('/c')).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.requests).toHaveLength(2);
  });

  it('a request its caller cancels rejects with axios’ CanceledError, and the server sees it go', async () => {
    server.handle(() => undefined);
    const client = axios.create({ baseURL: server.url, adapter: resilientAxiosAdapter({ deadline: false }) });
    const controller = new AbortController();
    const pending = client.get('/hang', { signal: controller.signal }).catch((error: unknown) => error);
    await until(() => server.requests.length === 1, 'the request');
    controller.abort();
    expect(axios.isCancel(await pending)).toBe(true);
    await until(() => server.requests[0]!.aborted, 'the server to see the request closed');
  });

  it('drains the streamed body of every failed attempt: 2,000 failed streamed attempts reuse a handful of sockets', async () => {
    server.handle((_request, response) => {
      response.writeHead(503, { 'content-type': 'text/plain' });
      response.end('x'.repeat(64 * 1024));
    });
    const client = axios.create({
      baseURL: server.url,
      responseType: 'stream',
      validateStatus: () => true,
      adapter: resilientAxiosAdapter({ retry: { maxRetries: 1, baseDelay: 0 }, circuitBreaker: false, deadline: false }),
    });
    const calls = 1_000;
    const concurrency = 10;
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < calls) {
          next++;
          const response: AxiosResponse<Readable> = await client.get('/down');
          expect(response.status).toBe(503);
          response.data.resume(); // read to the end, as the adapter does with the first attempt's
        }
      }),
    );
    expect(server.requests).toHaveLength(2 * calls);
    expect(server.connections).toBeLessThanOrEqual(4 * concurrency);
  }, 120_000);

  it('refuses bad options at once, naming the client and the field', () => {
    expect(() => resilientAxiosAdapter({ name: 'payments', retry: { maxRetries: -1 } })).toThrow(/payments\.retry\.maxRetries/);
    expect(() => resilientAxiosAdapter({ attemptTimeout: 0 })).toThrow(/http\.attemptTimeout/);
  });
});
