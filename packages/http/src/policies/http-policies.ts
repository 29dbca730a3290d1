import { BasePolicy, type ExecutionContext, type ExecutionScope, type KeyedCircuitBreakers, type Operation, type RetryPolicy, type TimeoutPolicy } from '@bulwark/core';
import { HttpResilience } from '../client/http-resilience.js';
import type { HttpResilienceOptions } from '../options/http-resilience.options.js';

/** What the policies of one request depend on. */
export interface HttpRequestDescription {
  readonly method: string;
  /** Absolute: its origin picks the breaker. */
  readonly url: string | URL;
  /** The request carries an `Idempotency-Key` header (a POST or PATCH may then be retried). */
  readonly idempotencyKey?: boolean;
  /** `false`: the body can be read once (a stream); the request is never sent twice. Default true. */
  readonly replayableBody?: boolean;
}

/** The client's policies, for a client of your own (got, undici, a generated SDK). */
export interface HttpPolicies {
  /** The budget of a whole request, retries and waits included. */
  readonly timeout: TimeoutPolicy;
  /** The budget of each attempt. */
  readonly attemptTimeout: TimeoutPolicy;
  /** Retries (idempotent requests only), or undefined with `retry: false`. */
  readonly retry: RetryPolicy | undefined;
  /** The per-origin breakers, or undefined with `circuitBreaker: false`. */
  readonly circuitBreakers: KeyedCircuitBreakers | undefined;
  /**
   * The policy of one request, built once per origin and method class: total timeout → retry (when
   * the request may be sent twice) → the origin's breaker → attempt timeout. Its operation is one
   * attempt: resolve with the answer (an object with a numeric `status` is judged by it: 5xx, 408,
   * 429 fail and are retried) or reject with the error (one with `response.status` is judged by
   * that status; any other is a network failure). Pass `context.signal` to your client.
   */
  forRequest(request: HttpRequestDescription): HttpRequestPolicy;
  /**
   * The deadline header for an attempt (`[name, ms left minus the margin]`), or undefined when the
   * call has no deadline or the header is off. Throws the caller's `TimeoutError` when no time is
   * left to send anything.
   */
  deadlineHeader(context: ExecutionContext): readonly [string, string] | undefined;
}

/**
 * The policies of `resilientFetch` and the axios adapter, for any HTTP client: the same defaults
 * and options, without the sending.
 *
 * ```ts
 * const http = createHttpPolicies({ name: 'catalog' });
 * const url = 'https://catalog.internal/items/42';
 * const item = await http.forRequest({ method: 'GET', url }).execute((context) =>
 *   got(url, { signal: context.signal, throwHttpErrors: false }),
 * );
 * ```
 */
export function createHttpPolicies(options: Omit<HttpResilienceOptions, 'fetch' | 'hedging'> = {}): HttpPolicies {
  const client = new HttpResilience(options);
  return {
    timeout: client.totalTimeout,
    attemptTimeout: client.attemptTimeout,
    retry: client.retry,
    circuitBreakers: client.breakers,
    forRequest: (request) =>
      new HttpRequestPolicy(client, {
        method: request.method,
        url: String(request.url),
        hasIdempotencyKey: request.idempotencyKey === true,
        replayableBody: request.replayableBody !== false,
      }),
    deadlineHeader: (context) => client.deadlineOf(context),
  };
}

/** One request's policies as one: `execute` runs the attempts, `run` within an existing scope. */
export class HttpRequestPolicy extends BasePolicy {
  readonly kind = 'composite' as const;
  readonly name: string;
  readonly inspectsResults = true;

  constructor(
    private readonly client: HttpResilience,
    private readonly request: { method: string; url: string; hasIdempotencyKey: boolean; replayableBody: boolean },
  ) {
    super();
    this.name = client.name;
  }

  run<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    return this.client.run(this.request, operation, scope);
  }
}
