import { CircuitOpenError } from '../errors/circuit-open.error.js';

/**
 * How long a failed attempt's server asked the client to wait before trying again, in ms, or
 * `undefined` when it did not say. `Infinity` means "do not retry" (a negative gRPC pushback).
 * Read from what the attempt threw or returned:
 * - `CircuitOpenError.retryAfterMs` (an open breaker's time left);
 * - a `retryAfterMs` number on the error or result (any library can set one);
 * - HTTP `Retry-After` (seconds, or an HTTP date) and gRPC `grpc-retry-pushback-ms` headers, on a
 *   fetch `Response` (`headers.get`), a plain headers record, or an error's `response.headers`
 *   (axios, `@nestjs/axios`) / `headers`.
 * Never throws: anything unreadable is "did not say".
 */
export function serverRetryDelay(outcome: unknown, now: () => number = Date.now): number | undefined {
  try {
    if (outcome instanceof CircuitOpenError) return outcome.retryAfterMs;
    if (outcome === null || typeof outcome !== 'object') return undefined;
    const own = (outcome as { retryAfterMs?: unknown }).retryAfterMs;
    if (typeof own === 'number' && own >= 0) return own;
    const headers = (outcome as { headers?: unknown }).headers ?? (outcome as { response?: { headers?: unknown } }).response?.headers;
    if (headers === null || typeof headers !== 'object') return undefined;
    const pushback = header(headers, 'grpc-retry-pushback-ms');
    if (pushback !== undefined && /^-?\d+$/.test(pushback.trim())) {
      const ms = Number(pushback);
      return ms < 0 ? Infinity : ms;
    }
    const retryAfter = header(headers, 'retry-after');
    return retryAfter === undefined ? undefined : parseRetryAfter(retryAfter, now());
  } catch {
    return undefined;
  }
}

/** `Retry-After` in ms: delay-seconds, or an HTTP date relative to `now` (never below 0). */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

function header(headers: object, name: string): string | undefined {
  const get = (headers as { get?: unknown }).get;
  const value = typeof get === 'function' ? (get as (n: string) => unknown).call(headers, name) : (headers as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}
