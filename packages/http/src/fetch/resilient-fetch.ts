import { HttpResilience, type HttpAttempt } from '../client/http-resilience.js';
import type { HttpRequestResilience, HttpResilienceOptions } from '../options/http-resilience.options.js';

/** `fetch`'s `init`, plus what this one request may change. */
export type ResilientRequestInit = RequestInit & { resilience?: HttpRequestResilience };

/** A `fetch`: same arguments, same answer, with the client's resilience around it. */
export type ResilientFetch = (input: string | URL | Request, init?: ResilientRequestInit) => Promise<Response>;

/**
 * A `fetch` with resilience around it (see `HttpResilience`): call it as you call `fetch`. Like
 * `fetch`, it resolves with the final `Response`, failure statuses included once retries are
 * spent, and rejects with the network error, a `TimeoutError` (the request's or an attempt's budget)
 * or a `CircuitOpenError` (the origin's breaker). The bodies of answers it did not return (failed
 * attempts, a hedge's loser) are cancelled, so their sockets go back to the pool. The caller's
 * `init.signal` cancels the whole request.
 */
export function resilientFetch(options: HttpResilienceOptions = {}): ResilientFetch {
  const client = new HttpResilience(options);
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return (input, init = {}) => {
    let request: ReturnType<typeof describe>;
    try {
      request = describe(input, init);
    } catch (error) {
      return Promise.reject(error);
    }
    const { resilience, signal, ...rest } = init;
    const send = (attempt: HttpAttempt): Promise<Response> => {
      const headers = new Headers(rest.headers ?? (input instanceof Request ? input.headers : undefined));
      if (attempt.deadlineHeader !== undefined) headers.set(attempt.deadlineHeader[0], attempt.deadlineHeader[1]);
      // A Request's body can be read once: each attempt sends a copy.
      return fetchImpl(input instanceof Request ? input.clone() : input, { ...rest, headers, signal: attempt.signal });
    };
    return client.execute(request, send, discard, signal ?? undefined, resilience);
  };
}

function describe(input: string | URL | Request, init: RequestInit) {
  const method = init.method ?? (input instanceof Request ? input.method : 'GET');
  const url = input instanceof Request ? input.url : String(input);
  const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
  const body = init.body ?? (input instanceof Request ? input.body : null);
  return {
    method,
    url,
    hasIdempotencyKey: headers.has('idempotency-key'),
    // A stream is read as it is sent: it cannot be sent again.
    replayableBody: !(body instanceof ReadableStream) || input instanceof Request,
  };
}

/** An answer not returned: its body is cancelled, so its connection is free again. */
function discard(response: Response): void {
  if (response.bodyUsed || response.body === null) return;
  response.body.cancel().catch(() => undefined);
}
