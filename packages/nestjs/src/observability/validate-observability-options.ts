import { InvalidOptionsError, MAX_TIMER_DELAY_MS } from '@bulwark/core';

/** The module options this folder owns. */
export const OBSERVABILITY_OPTION_KEYS = ['logging', 'metrics', 'openTelemetry'] as const;

const LOG_LEVELS = ['log', 'debug', 'verbose'];
const LOGGING_KEYS = ['level', 'rateLimitMs'];
const METRICS_KEYS = ['registry', 'path'];
const OPEN_TELEMETRY_KEYS = ['meterName'];

/** Checks `logging`, `metrics` and `openTelemetry`, naming the field at fault. */
export function validateObservabilityOptions(record: Record<string, unknown>): void {
  validateLogging(record['logging']);
  validateMetrics(record['metrics'], 'metrics');
  validateOpenTelemetry(record['openTelemetry']);
}

function validateLogging(value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  const logging = checkObject('logging', value, LOGGING_KEYS, 'false or an object');
  const level = logging['level'];
  if (level !== undefined && (typeof level !== 'string' || !LOG_LEVELS.includes(level))) {
    throw new InvalidOptionsError('logging.level', `must be one of ${LOG_LEVELS.map((l) => `'${l}'`).join(', ')}`, level);
  }
  const rateLimitMs = logging['rateLimitMs'];
  if (rateLimitMs !== undefined && (typeof rateLimitMs !== 'number' || !Number.isFinite(rateLimitMs) || rateLimitMs < 0)) {
    throw new InvalidOptionsError('logging.rateLimitMs', 'must be a non-negative number of milliseconds', rateLimitMs);
  }
  // The interval runs on a timer.
  if (typeof rateLimitMs === 'number' && rateLimitMs > MAX_TIMER_DELAY_MS) {
    throw new InvalidOptionsError('logging.rateLimitMs', `must be at most ${MAX_TIMER_DELAY_MS} ms (the longest timer delay)`, rateLimitMs);
  }
}

/** Also used for the static `metrics` of `forRootAsync`. */
export function validateMetrics(value: unknown, path: string): void {
  if (value === undefined || value === false) return;
  const metrics = checkObject(path, value, METRICS_KEYS, 'an object (or false)');
  const registry = metrics['registry'] as Record<string, unknown> | null | undefined;
  if (
    registry !== undefined &&
    (registry === null ||
      typeof registry !== 'object' ||
      typeof registry['registerMetric'] !== 'function' ||
      typeof registry['metrics'] !== 'function' ||
      typeof registry['getSingleMetric'] !== 'function' ||
      typeof registry['removeSingleMetric'] !== 'function')
  ) {
    throw new InvalidOptionsError(`${path}.registry`, 'must be a prom-client Registry', registry);
  }
  const route = metrics['path'];
  if (route !== undefined && (typeof route !== 'string' || route.trim() === '')) {
    throw new InvalidOptionsError(`${path}.path`, 'must be a non-empty string', route);
  }
}

function validateOpenTelemetry(value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  const openTelemetry = checkObject('openTelemetry', value, OPEN_TELEMETRY_KEYS, 'a boolean or an object');
  const meterName = openTelemetry['meterName'];
  if (meterName !== undefined && (typeof meterName !== 'string' || meterName.trim() === '')) {
    throw new InvalidOptionsError('openTelemetry.meterName', 'must be a non-empty string', meterName);
  }
}

function checkObject(path: string, value: unknown, keys: readonly string[], expected: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionsError(path, `must be ${expected}`, value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!keys.includes(key)) throw new InvalidOptionsError(`${path}.${key}`, `is not a ${path} option (known: ${keys.join(', ')})`, record[key]);
  }
  return record;
}
