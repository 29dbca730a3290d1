import { InvalidOptionsError, MAX_TIMER_DELAY_MS } from '@bulwark/core';
import type { RedisClient } from './redis-connection.factory.js';
import type { StoreLogger } from './throttled.logger.js';

/** A fleet-wide retry budget: retries limited to a share of calls, across every replica. */
export interface RedisRetryBudgetOptions {
  /** Share of calls that may be retried, in (0, 1]: 0.1 = one retry per ten calls. */
  ratio: number;
  /** Retries per second the fleet may always make, even with little traffic. Default 10. */
  minRetriesPerSecond?: number;
  /** Most tokens the bucket holds (how big a burst of retries may be). Default 100. */
  maxTokens?: number;
}

export interface RedisStoreOptions {
  /**
   * An ioredis client the application already has (`new Redis(...)` or `new Cluster(...)`): the
   * template of the store's own two connections (commands and pub/sub), which take its address,
   * TLS and credentials but not its behaviour (offline queue, retries, lazy connect, key prefix).
   * The store never sends a command on it and never closes it.
   */
  client: RedisClient;
  /**
   * Prefix of every key and of the channel, after the client's own `keyPrefix` if it has one.
   * Default `bulwark`. Replicas sharing state use the same.
   */
  prefix?: string;
  /** Successful outcomes are sent at most this often (failures go at once). Default 5 ms. */
  flushIntervalMs?: number;
  /** A batch goes at once when this many outcomes are waiting. Default 100. */
  flushMaxOutcomes?: number;
  /** Every Redis call gives up after this long (the user's call never waits for Redis). Default 100 ms. */
  commandTimeoutMs?: number;
  /** The store's own breaker around Redis: consecutive failures before going local-only. Default 3. */
  redisFailureThreshold?: number;
  /** How long the store stays local-only before trying Redis again. Default 1000 ms. */
  redisRecoveryTimeout?: number;
  /** Idle breakers' keys expire after this long in Redis (at least twice the recovery timeout). Default 1 h. */
  keyTtlMs?: number;
  /** Rate-mode breakers with a count window are judged cluster-wide over a time window this long. Default 10 s. */
  countWindowAsTimeMs?: number;
  /** A fleet-wide retry budget for every retry policy of the application; default none. */
  retryBudget?: RedisRetryBudgetOptions;
  /**
   * Where the store says sharing stopped working (Redis unreachable, subscription not confirmed)
   * and works again, and what invalid data it found in Redis; default Nest-free `console`.
   */
  logger?: StoreLogger;
}

export type ResolvedRedisStoreOptions = Required<Omit<RedisStoreOptions, 'retryBudget'>> & {
  retryBudget: Required<RedisRetryBudgetOptions> | undefined;
};

export const DEFAULT_REDIS_STORE_OPTIONS = Object.freeze({
  prefix: 'bulwark',
  flushIntervalMs: 5,
  flushMaxOutcomes: 100,
  commandTimeoutMs: 100,
  redisFailureThreshold: 3,
  redisRecoveryTimeout: 1_000,
  keyTtlMs: 3_600_000,
  countWindowAsTimeMs: 10_000,
});

const KNOWN = ['client', 'retryBudget', 'logger', ...Object.keys(DEFAULT_REDIS_STORE_OPTIONS)];

/** Checks every field, naming it (`redisStore.flushIntervalMs must be ...`), and fills defaults. */
export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  const path = 'redisStore';
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError(path, 'must be an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw new InvalidOptionsError(`${path}.${key}`, `is not an option (known: ${KNOWN.join(', ')})`, (options as unknown as Record<string, unknown>)[key]);
  }
  const client = options.client as unknown;
  if (client === null || typeof client !== 'object' || typeof (client as RedisClient).pipeline !== 'function' || typeof (client as RedisClient).duplicate !== 'function') {
    throw new InvalidOptionsError(`${path}.client`, 'must be an ioredis client (new Redis(...) or new Cluster(...))', client);
  }
  if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix.length === 0)) {
    throw new InvalidOptionsError(`${path}.prefix`, 'must be a non-empty string', options.prefix);
  }
  positive(`${path}.flushIntervalMs`, options.flushIntervalMs, false);
  timerDelay(`${path}.flushIntervalMs`, options.flushIntervalMs);
  positive(`${path}.flushMaxOutcomes`, options.flushMaxOutcomes, true);
  positive(`${path}.commandTimeoutMs`, options.commandTimeoutMs, false);
  timerDelay(`${path}.commandTimeoutMs`, options.commandTimeoutMs);
  positive(`${path}.redisFailureThreshold`, options.redisFailureThreshold, true);
  positive(`${path}.redisRecoveryTimeout`, options.redisRecoveryTimeout, false);
  timerDelay(`${path}.redisRecoveryTimeout`, options.redisRecoveryTimeout);
  positive(`${path}.keyTtlMs`, options.keyTtlMs, true);
  positive(`${path}.countWindowAsTimeMs`, options.countWindowAsTimeMs, true);
  let retryBudget: Required<RedisRetryBudgetOptions> | undefined;
  if (options.retryBudget !== undefined) {
    const budget = options.retryBudget as unknown as Record<string, unknown>;
    if (budget === null || typeof budget !== 'object') throw new InvalidOptionsError(`${path}.retryBudget`, 'must be an object', budget);
    const ratio = budget.ratio;
    if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) {
      throw new InvalidOptionsError(`${path}.retryBudget.ratio`, 'must be a number in (0, 1] (0.1 = retries up to 10% of calls)', ratio);
    }
    if (budget.minRetriesPerSecond !== undefined && (typeof budget.minRetriesPerSecond !== 'number' || !(budget.minRetriesPerSecond >= 0) || !Number.isFinite(budget.minRetriesPerSecond))) {
      throw new InvalidOptionsError(`${path}.retryBudget.minRetriesPerSecond`, 'must be a non-negative number', budget.minRetriesPerSecond);
    }
    positive(`${path}.retryBudget.maxTokens`, budget.maxTokens, false);
    retryBudget = { ratio, minRetriesPerSecond: (budget.minRetriesPerSecond as number | undefined) ?? 10, maxTokens: (budget.maxTokens as number | undefined) ?? 100 };
  }
  return {
    ...DEFAULT_REDIS_STORE_OPTIONS,
    ...definedOnly(options),
    client: options.client,
    logger: options.logger ?? console,
    retryBudget,
  };
}

function positive(path: string, value: unknown, integer: boolean): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new InvalidOptionsError(path, integer ? 'must be a positive integer' : 'must be a positive number', value);
  }
}

/** These run on timers: longer than the longest timer delay, Node would fire them after 1 ms. */
function timerDelay(path: string, value: number | undefined): void {
  if (value !== undefined && value > MAX_TIMER_DELAY_MS) throw new InvalidOptionsError(path, `must be at most ${MAX_TIMER_DELAY_MS} ms (the longest timer delay)`, value);
}

function definedOnly(options: RedisStoreOptions): Partial<RedisStoreOptions> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined && key !== 'retryBudget') result[key] = value;
  return result as Partial<RedisStoreOptions>;
}
