/** Occasional slow answers (what hedged reads are for). */
export interface SlowAnswers {
  /** Share of requests answered slowly, 0 to 1. */
  rate: number;
  /** The next `next` requests are answered slowly whatever the rate (counts down as they arrive). */
  next: number;
  /** Latency of a slow answer, in ms (instead of `latencyMs` and `jitterMs`). */
  latencyMs: number;
}

/** Server pushback: requests refused with a `Retry-After`, as an overloaded or restarting service does. */
export interface Pushback {
  /** The next `requests` requests are refused (counts down as they arrive). */
  requests: number;
  /** 503 (Service Unavailable) or 429 (Too Many Requests). */
  status: 503 | 429;
  /** The `Retry-After` sent, in whole seconds. */
  retryAfterSec: number;
}

/**
 * How a downstream misbehaves. Every request is judged by the settings at its arrival, in this
 * order: `down`, `hang`, `pushback`, then it waits (`slow`, or `latencyMs` plus up to `jitterMs`),
 * then `errorRate`.
 */
export interface ChaosSettings {
  /** Share of requests answered with HTTP 503, 0 to 1. */
  errorRate: number;
  /** Added before answering, in ms. */
  latencyMs: number;
  /** A random extra wait per request, uniform from 0 to `jitterMs` ms: a latency distribution rather than one figure. */
  jitterMs: number;
  slow: SlowAnswers;
  pushback: Pushback;
  /** Never answer (the connection stays open until the caller gives up). */
  hang: boolean;
  /** Reset every connection at once, as a crashed service would. */
  down: boolean;
}

/** A `POST /chaos` body: any settings, and any fields of `slow` and `pushback` (merged over the current ones). */
export type ChaosPatch = Partial<Omit<ChaosSettings, 'slow' | 'pushback'>> & { slow?: Partial<SlowAnswers>; pushback?: Partial<Pushback> };

export const HEALTHY: Readonly<ChaosSettings> = Object.freeze({
  errorRate: 0,
  latencyMs: 0,
  jitterMs: 0,
  slow: Object.freeze({ rate: 0, next: 0, latencyMs: 2_000 }),
  pushback: Object.freeze({ requests: 0, status: 503 as const, retryAfterSec: 1 }),
  hang: false,
  down: false,
});

const MAX_LATENCY_MS = 10 * 60_000;
const MAX_COUNT = 1_000_000;
const MAX_RETRY_AFTER_SEC = 3_600;
const KNOWN = ['errorRate', 'latencyMs', 'jitterMs', 'slow', 'pushback', 'hang', 'down'];

/** `current` with `patch` applied (`slow` and `pushback` field by field). */
export function applyChaosPatch(current: ChaosSettings, patch: ChaosPatch): ChaosSettings {
  return {
    ...current,
    ...patch,
    slow: { ...current.slow, ...patch.slow },
    pushback: { ...current.pushback, ...patch.pushback },
  };
}

/** Validates a `POST /chaos` body. Throws a message fit for a 400. */
export function parseChaosPatch(body: unknown): ChaosPatch {
  const record = asObject('the body', body);
  const patch: ChaosPatch = {};
  for (const [key, value] of Object.entries(record)) {
    switch (key) {
      case 'errorRate':
        patch.errorRate = share(key, value);
        break;
      case 'latencyMs':
      case 'jitterMs':
        patch[key] = number(key, value, MAX_LATENCY_MS);
        break;
      case 'slow':
        patch.slow = parseSlow(value);
        break;
      case 'pushback':
        patch.pushback = parsePushback(value);
        break;
      case 'hang':
      case 'down':
        if (typeof value !== 'boolean') throw new Error(`${key} must be true or false`);
        patch[key] = value;
        break;
      default:
        throw new Error(`unknown setting "${key}" (known: ${KNOWN.join(', ')})`);
    }
  }
  return patch;
}

function parseSlow(value: unknown): Partial<SlowAnswers> {
  const slow: Partial<SlowAnswers> = {};
  for (const [key, field] of Object.entries(asObject('slow', value))) {
    if (key === 'rate') slow.rate = share('slow.rate', field);
    else if (key === 'next') slow.next = integer('slow.next', field, 0, MAX_COUNT);
    else if (key === 'latencyMs') slow.latencyMs = number('slow.latencyMs', field, MAX_LATENCY_MS);
    else throw new Error(`unknown setting "slow.${key}" (known: rate, next, latencyMs)`);
  }
  return slow;
}

function parsePushback(value: unknown): Partial<Pushback> {
  const pushback: Partial<Pushback> = {};
  for (const [key, field] of Object.entries(asObject('pushback', value))) {
    if (key === 'requests') pushback.requests = integer('pushback.requests', field, 0, MAX_COUNT);
    else if (key === 'retryAfterSec') pushback.retryAfterSec = integer('pushback.retryAfterSec', field, 0, MAX_RETRY_AFTER_SEC);
    else if (key === 'status') {
      if (field !== 503 && field !== 429) throw new Error('pushback.status must be 503 or 429');
      pushback.status = field;
    } else throw new Error(`unknown setting "pushback.${key}" (known: requests, status, retryAfterSec)`);
  }
  return pushback;
}

function asObject(what: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function share(key: string, value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new Error(`${key} must be a number from 0 to 1`);
  return value;
}

function number(key: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= max)) throw new Error(`${key} must be a number from 0 to ${max}`);
  return value;
}

function integer(key: string, value: unknown, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw new Error(`${key} must be an integer from ${min} to ${max}`);
  return value as number;
}
