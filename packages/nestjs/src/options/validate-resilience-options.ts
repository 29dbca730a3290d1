import { validateDeadlinesOptions } from '../deadlines/deadlines.options.js';
import {
  InvalidOptionsError,
  validateAdmissionOptions,
  validateCircuitBreakerOptions,
  validateRetryOptions,
  validateTimeoutOptions,
} from '@bulwark/core';
import { validateDefaultBulkheadOptions, validateResilienceBulkheadOptions } from './bulkhead-options.js';
import type { ResilienceModuleOptions } from './resilience-options.interface.js';
import { LIVE_OPTION_KEYS, validateLiveOptions } from './validate-live-options.js';
import { OBSERVABILITY_OPTION_KEYS, validateObservabilityOptions } from '../observability/validate-observability-options.js';

const MODULE_KEYS = ['defaults', 'circuitBreakers', 'retries', 'timeouts', 'bulkheads', 'strict', 'isGlobal', 'health', 'openApi', 'exposeKeys', 'errorMapping', 'deadlines', 'clock', 'loadShedding', ...LIVE_OPTION_KEYS, ...OBSERVABILITY_OPTION_KEYS, 'store'];
const STORE_METHODS = ['attachCircuitBreaker', 'detachCircuitBreaker', 'close'];
const DEFAULT_KEYS = ['circuitBreaker', 'retry', 'timeout', 'bulkhead'];

/**
 * Checks module options before anything is built, so a typo or a bad number fails start-up with
 * the policy and field named: `circuitBreakers.pricing.failureThreshold must be a positive
 * integer (got -1)`.
 */
export function validateResilienceOptions(options: unknown): asserts options is ResilienceModuleOptions {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidOptionsError('ResilienceModule options', 'must be an object', options);
  }
  const record = options as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!MODULE_KEYS.includes(key)) {
      throw new InvalidOptionsError(key, `is not a ResilienceModule option (known: ${MODULE_KEYS.join(', ')})`, record[key]);
    }
  }
  const defaults = record['defaults'];
  if (defaults !== undefined) {
    checkRecord('defaults', defaults);
    const d = defaults as Record<string, unknown>;
    for (const key of Object.keys(d)) {
      if (!DEFAULT_KEYS.includes(key)) throw new InvalidOptionsError(`defaults.${key}`, `is not a policy kind (known: ${DEFAULT_KEYS.join(', ')})`, d[key]);
    }
    validateCircuitBreakerOptions(d['circuitBreaker'], 'defaults.circuitBreaker');
    validateRetryOptions(d['retry'], 'defaults.retry');
    if (d['timeout'] !== undefined) validateTimeoutOptions(d['timeout'], 'defaults.timeout');
    validateDefaultBulkheadOptions(d['bulkhead'], 'defaults.bulkhead');
  }
  validateNamedPolicies(record);
  checkFlag('strict', record['strict']);
  checkFlag('isGlobal', record['isGlobal']);
  checkFlag('exposeKeys', record['exposeKeys']);
  checkErrorMapping(record['errorMapping']);
  validateDeadlinesOptions(record['deadlines']);
  validateLoadSheddingOptions(record['loadShedding']);
  checkFlag('openApi', record['openApi']);
  const health = record['health'];
  if (health !== undefined && health !== false) {
    checkRecord('health', health);
    const path = (health as Record<string, unknown>)['path'];
    if (path !== undefined && (typeof path !== 'string' || path.trim() === '')) {
      throw new InvalidOptionsError('health.path', 'must be a non-empty string', path);
    }
  }
  const clock = record['clock'] as Record<string, unknown> | undefined;
  if (clock !== undefined && (clock === null || typeof clock['now'] !== 'function' || typeof clock['setTimeout'] !== 'function')) {
    throw new InvalidOptionsError('clock', 'must implement now(), setTimeout() and clearTimeout()', clock);
  }
  const store = record['store'] as Record<string, unknown> | undefined;
  if (store !== undefined && (store === null || typeof store !== 'object' || STORE_METHODS.some((method) => typeof store[method] !== 'function'))) {
    throw new InvalidOptionsError('store', `must be a ResilienceStore (with ${STORE_METHODS.join('(), ')}()), e.g. redisStore({ client }) from @bulwark/redis`, store);
  }
  validateLiveOptions(record);
  validateObservabilityOptions(record);
}

/** Checks the named policies (`circuitBreakers`, `retries`, `timeouts`, `bulkheads`) of `forRoot` or `forFeature`. */
export function validateNamedPolicies(record: Record<string, unknown>): void {
  eachNamed(record, 'circuitBreakers', validateCircuitBreakerOptions);
  eachNamed(record, 'retries', validateRetryOptions);
  eachNamed(record, 'timeouts', validateTimeoutOptions);
  eachNamed(record, 'bulkheads', validateResilienceBulkheadOptions);
}

/** `loadShedding`: a boolean or the admission controller's options, errors under `loadShedding.`. */
function validateLoadSheddingOptions(value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError('loadShedding', 'must be a boolean or the load-shedding options', value);
  }
  validateAdmissionOptions(value, 'loadShedding');
}

function eachNamed(record: Record<string, unknown>, key: string, validate: (value: unknown, path: string) => void): void {
  const named = record[key];
  if (named === undefined) return;
  checkRecord(key, named);
  for (const [name, value] of Object.entries(named as Record<string, unknown>)) {
    if (value === undefined || value === null) throw new InvalidOptionsError(`${key}.${name}`, 'must be set', value);
    validate(value, `${key}.${name}`);
  }
}

function checkRecord(path: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionsError(path, 'must be an object', value);
}

function checkFlag(path: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new InvalidOptionsError(path, 'must be a boolean', value);
}

function checkErrorMapping(value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionsError('errorMapping', 'must be a boolean or { detail?: boolean }', value);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'detail') throw new InvalidOptionsError(`errorMapping.${key}`, 'is not an errorMapping option (known: detail)', record[key]);
  }
  checkFlag('errorMapping.detail', record['detail']);
}
