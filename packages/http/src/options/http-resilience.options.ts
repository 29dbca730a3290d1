import {
  InvalidOptionsError,
  validateCircuitBreakerOptions,
  validateRetryOptions,
  validateTimeoutOptions,
  type CircuitBreakerOptions,
  type Clock,
  type KeyedCircuitBreakers,
  type RetryOptions,
} from '@bulwark/core';

/** A second request for a slow idempotent read: `delay` ms after the first, or at the p95 of recent latency. */
export interface HedgingOptions {
  /** Default `'p95'`: the 95th percentile of the origin's last 100 successful requests (500 ms until 20 are known). */
  delay?: number | 'p95';
}

/** The remaining budget of a call, sent to the server on each attempt. */
export interface OutboundDeadlineOptions {
  /** Header carrying the budget in relative milliseconds. Default `x-request-deadline-ms`. */
  header?: string;
  /** Taken off the budget for the way back (ms); an attempt with no more than this left is not started. Default 50. */
  margin?: number;
}

/** One set of options for `resilientFetch`, `resilientAxiosAdapter` and `createHttpPolicies`. */
export interface HttpResilienceOptions {
  /** The client's name: of its per-origin breaker family, and of its policies in events and metrics. Default `http`. */
  name?: string;
  /** Budget of a whole request, retries and their waits included (ms). Default 10 000. */
  timeout?: number;
  /** Budget of each attempt (ms). Default 3 000. */
  attemptTimeout?: number;
  /**
   * Retries of idempotent requests (GET, HEAD, OPTIONS, PUT, DELETE; POST and PATCH with an
   * `Idempotency-Key` header), or `false`. Default: the article's 3 retries, 100 ms base, x2, full
   * jitter, 10 s cap; a server's `Retry-After` is honoured. `retryOn`/`retryOnResult` given here
   * replace the HTTP classification; `random` replaces `Math.random` for the jitter (tests).
   */
  retry?: (RetryOptions & { random?: () => number }) | false;
  /**
   * One breaker per origin (`https://api.example.com`), bounded as any per-key family (`maxKeys`,
   * `maxKeyLength`, `keyIdleTimeout`), or `false`. Default: 5 consecutive failures, 30 s open.
   */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** A family of breakers to use instead of one of the client's own (Nest's registry creates one that health, metrics and the live view see). */
  circuitBreakers?: KeyedCircuitBreakers;
  /** Hedged reads (GET, HEAD): `true` or options; default off. */
  hedging?: HedgingOptions | boolean;
  /** The outbound deadline header, or `false` to send none. */
  deadline?: OutboundDeadlineOptions | false;
  /** The fetch to call. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Time source of every policy. Default the system clock. */
  clock?: Clock;
}

/** What one request may change (`init.resilience`, axios `config.resilience`). */
export interface HttpRequestResilience {
  /** This request's budget (ms). */
  timeout?: number;
  /** `false`: never retried; `true`: retried even if not idempotent by method (you know it is). */
  retry?: boolean;
  /** Hedge this read (or not), whatever the client's default. */
  hedging?: boolean;
}

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
export const DEFAULT_HTTP_ATTEMPT_TIMEOUT_MS = 3_000;
export const DEFAULT_DEADLINE_HEADER = 'x-request-deadline-ms';
export const DEFAULT_DEADLINE_MARGIN_MS = 50;
export const DEFAULT_HEDGE_DELAY_MS = 500;

const KNOWN_KEYS = ['name', 'timeout', 'attemptTimeout', 'retry', 'circuitBreaker', 'circuitBreakers', 'hedging', 'deadline', 'fetch', 'clock'];

/** Checks the options, naming the field (`http.retry.maxRetries must be ...`). */
export function validateHttpResilienceOptions(options: unknown, path = 'http'): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new InvalidOptionsError(path, 'must be an object', options);
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!KNOWN_KEYS.includes(key)) throw new InvalidOptionsError(`${path}.${key}`, `is not an HTTP resilience option (known: ${KNOWN_KEYS.join(', ')})`, record[key]);
  }
  const name = record['name'];
  if (name !== undefined && (typeof name !== 'string' || name === '')) throw new InvalidOptionsError(`${path}.name`, 'must be a non-empty string', name);
  if (record['timeout'] !== undefined) validateTimeoutOptions(record['timeout'], `${path}.timeout`);
  if (record['attemptTimeout'] !== undefined) validateTimeoutOptions(record['attemptTimeout'], `${path}.attemptTimeout`);
  if (record['retry'] !== false) validateRetryOptions(record['retry'], `${path}.retry`);
  if (record['circuitBreaker'] !== false) validateCircuitBreakerOptions(record['circuitBreaker'], `${path}.circuitBreaker`);
  const hedging = record['hedging'];
  if (hedging !== undefined && typeof hedging !== 'boolean') {
    if (hedging === null || typeof hedging !== 'object') throw new InvalidOptionsError(`${path}.hedging`, 'must be a boolean or { delay }', hedging);
    const delay = (hedging as Record<string, unknown>)['delay'];
    if (delay !== undefined && delay !== 'p95') validateTimeoutOptions(delay, `${path}.hedging.delay`);
  }
  const deadline = record['deadline'];
  if (deadline !== undefined && deadline !== false) {
    if (deadline === null || typeof deadline !== 'object') throw new InvalidOptionsError(`${path}.deadline`, 'must be false or { header?, margin? }', deadline);
    const { header, margin } = deadline as Record<string, unknown>;
    if (header !== undefined && (typeof header !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(header))) {
      throw new InvalidOptionsError(`${path}.deadline.header`, 'must be a header name', header);
    }
    if (margin !== undefined && (typeof margin !== 'number' || !Number.isFinite(margin) || margin < 0)) {
      throw new InvalidOptionsError(`${path}.deadline.margin`, 'must be a non-negative number of ms', margin);
    }
  }
  if (record['fetch'] !== undefined && typeof record['fetch'] !== 'function') throw new InvalidOptionsError(`${path}.fetch`, 'must be a fetch function', record['fetch']);
}
