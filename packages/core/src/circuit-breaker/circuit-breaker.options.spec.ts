import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '../clock/fake-clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import {
  DEFAULT_CIRCUIT_BREAKER_OPTIONS,
  resolveCircuitBreakerOptions,
  validateCircuitBreakerOptions,
  type CircuitBreakerOptions,
} from './circuit-breaker.options.js';
import { CircuitBreakerPolicy } from './circuit-breaker.policy.js';

const PATH = 'circuitBreakers.pricing';

function messageOf(options: unknown, path = PATH): string | undefined {
  try {
    validateCircuitBreakerOptions(options, path);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidOptionsError);
    return (error as Error).message;
  }
}

describe('DEFAULT_CIRCUIT_BREAKER_OPTIONS', () => {
  it('holds the article defaults', () => {
    const { isFailure, ...rest } = DEFAULT_CIRCUIT_BREAKER_OPTIONS;
    expect(rest).toEqual({
      failureThreshold: 5,
      recoveryTimeout: 30_000,
      halfOpenMaxCalls: 1,
      window: undefined,
      failureRateThreshold: 50,
      minimumCalls: 10,
      slowCallDurationThreshold: Infinity,
      slowCallRateThreshold: 100,
      ignore: [],
      critical: false,
      captureStackTrace: false,
      durationBuckets: undefined,
      maxKeys: 1000,
      maxKeyLength: 256,
      keyIdleTimeout: 600_000,
    });
    expect('window' in DEFAULT_CIRCUIT_BREAKER_OPTIONS).toBe(true);
    // Every error is a failure by default, whatever was thrown.
    for (const thrown of [new Error('x'), 'text', undefined, null, 0, {}]) expect(isFailure(thrown)).toBe(true);
  });

  it('is frozen, and so is its ignore list', () => {
    expect(Object.isFrozen(DEFAULT_CIRCUIT_BREAKER_OPTIONS)).toBe(true);
    expect(Object.isFrozen(DEFAULT_CIRCUIT_BREAKER_OPTIONS.ignore)).toBe(true);
  });
});

describe('resolveCircuitBreakerOptions', () => {
  it('applies every default to missing fields', () => {
    expect(resolveCircuitBreakerOptions()).toEqual(DEFAULT_CIRCUIT_BREAKER_OPTIONS);
    expect(resolveCircuitBreakerOptions({})).toEqual(DEFAULT_CIRCUIT_BREAKER_OPTIONS);
  });

  it('keeps given fields and copies window and ignore so later mutation has no effect', () => {
    class Boom extends Error {}
    const isFailure = (): boolean => false;
    const options: CircuitBreakerOptions = {
      failureThreshold: 3,
      recoveryTimeout: 1_000,
      halfOpenMaxCalls: 2,
      window: { type: 'count', size: 20 },
      failureRateThreshold: 25,
      minimumCalls: 4,
      slowCallDurationThreshold: 250,
      slowCallRateThreshold: 80,
      isFailure,
      ignore: [Boom],
      critical: true,
      captureStackTrace: true,
      durationBuckets: [1, 2],
      maxKeys: 50,
      maxKeyLength: 64,
      keyIdleTimeout: 60_000,
    };
    const resolved = resolveCircuitBreakerOptions(options);
    expect(resolved).toEqual({ ...options, ignore: [Boom], window: { type: 'count', size: 20 } });
    (options.window as { size: number }).size = 1;
    options.ignore!.push(Error);
    expect(resolved.window).toEqual({ type: 'count', size: 20 });
    expect(resolved.ignore).toEqual([Boom]);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(resolved.window)).toBe(true);
    expect(Object.isFrozen(resolved.ignore)).toBe(true);
  });
});

describe('validateCircuitBreakerOptions', () => {
  it('accepts undefined, an empty object and a complete valid object', () => {
    expect(messageOf(undefined)).toBeUndefined();
    expect(messageOf({})).toBeUndefined();
    expect(
      messageOf({
        failureThreshold: 1,
        recoveryTimeout: 0.5,
        halfOpenMaxCalls: 3,
        window: { type: 'time', durationMs: 60_000 },
        failureRateThreshold: 100,
        minimumCalls: 1,
        slowCallDurationThreshold: Infinity,
        slowCallRateThreshold: 0.1,
        isFailure: () => true,
        ignore: [TypeError],
        critical: true,
        captureStackTrace: false,
        maxKeys: 1,
        keyIdleTimeout: 1,
        name: 'pricing',
        clock: new FakeClock(),
        validationPath: 'circuitBreakers.pricing',
      }),
    ).toBeUndefined();
    expect(messageOf({ window: { type: 'count', size: 1 }, slowCallDurationThreshold: 1 })).toBeUndefined();
  });

  it('names the policy and the field in exact messages', () => {
    expect(messageOf({ failureThreshold: -1 })).toBe('circuitBreakers.pricing.failureThreshold must be a positive integer (got -1)');
    expect(messageOf({ recoveryTimeout: 0 })).toBe('circuitBreakers.pricing.recoveryTimeout must be a positive number (got 0)');
    expect(messageOf({ window: { type: 'sliding', size: 3 } })).toBe(
      `circuitBreakers.pricing.window.type must be one of 'count', 'time' (got "sliding")`,
    );
    expect(messageOf({ failureRateThreshold: 101 })).toBe(
      'circuitBreakers.pricing.failureRateThreshold must be a percentage greater than 0 and at most 100 (got 101)',
    );
    expect(messageOf({ failureTreshold: 3 })).toBe(
      'circuitBreakers.pricing.failureTreshold is not a known option (known: failureThreshold, recoveryTimeout, recoveryBackoff, ' +
        'halfOpenMaxCalls, window, failureRateThreshold, minimumCalls, slowCallDurationThreshold, slowCallRateThreshold, isFailure, ' +
        'isFailureResult, ignore, critical, captureStackTrace, durationBuckets, maxKeys, maxKeyLength, keyIdleTimeout) (got 3)',
    );
    expect(messageOf({ window: { type: 'count' } })).toBe('circuitBreakers.pricing.window.size is required (got undefined)');
  });

  it.each<[string, unknown, string]>([
    ['options', null, 'circuitBreakers.pricing must be an object (got null)'],
    ['options', 7, 'circuitBreakers.pricing must be an object (got 7)'],
    ['failureThreshold', 0, 'failureThreshold must be a positive integer (got 0)'],
    ['failureThreshold', 2.5, 'failureThreshold must be a positive integer (got 2.5)'],
    ['failureThreshold', '5', 'failureThreshold must be a positive integer (got "5")'],
    ['recoveryTimeout', NaN, 'recoveryTimeout must be a positive number (got NaN)'],
    ['recoveryTimeout', Infinity, 'recoveryTimeout must be a positive number (got Infinity)'],
    ['halfOpenMaxCalls', 0, 'halfOpenMaxCalls must be a positive integer (got 0)'],
    ['failureRateThreshold', 0, 'failureRateThreshold must be a percentage greater than 0 and at most 100 (got 0)'],
    ['minimumCalls', -3, 'minimumCalls must be a positive integer (got -3)'],
    ['slowCallDurationThreshold', 0, 'slowCallDurationThreshold must be a positive number (got 0)'],
    ['slowCallDurationThreshold', NaN, 'slowCallDurationThreshold must be a positive number (got NaN)'],
    ['slowCallRateThreshold', 150, 'slowCallRateThreshold must be a percentage greater than 0 and at most 100 (got 150)'],
    ['isFailure', 'yes', 'isFailure must be a function (got "yes")'],
    ['ignore', TypeError, 'ignore must be an array of error classes (got function TypeError)'],
    ['ignore', ['TypeError'], 'ignore must be an array of error classes (got array of 1)'],
    ['critical', 'true', 'critical must be a boolean (got "true")'],
    ['captureStackTrace', 1, 'captureStackTrace must be a boolean (got 1)'],
    ['maxKeys', 0, 'maxKeys must be a positive integer (got 0)'],
    ['maxKeys', 10.5, 'maxKeys must be a positive integer (got 10.5)'],
    ['maxKeys', Infinity, 'maxKeys must be a positive integer (got Infinity)'],
    ['keyIdleTimeout', -1, 'keyIdleTimeout must be a positive integer (got -1)'],
    ['keyIdleTimeout', 0.5, 'keyIdleTimeout must be a positive integer (got 0.5)'],
    ['keyIdleTimeout', '60000', 'keyIdleTimeout must be a positive integer (got "60000")'],
    ['key', 7, 'key must be a string (got 7)'],
    ['name', '', 'name must be a non-empty string (got "")'],
    ['name', 42, 'name must be a non-empty string (got 42)'],
    ['validationPath', 7, 'validationPath must be a string (got 7)'],
    ['clock', 'now', 'clock must be an object (got "now")'],
    ['clock', {}, 'clock.now must be a function (got undefined)'],
    ['window', 'count', 'window must be an object (got "count")'],
    ['window', {}, `window.type must be one of 'count', 'time' (got undefined)`],
    ['window', { type: 'count', size: 0 }, 'window.size must be a positive integer (got 0)'],
    ['window', { type: 'count', size: 2.5 }, 'window.size must be a positive integer (got 2.5)'],
    ['window', { type: 'time', durationMs: -5 }, 'window.durationMs must be a positive number (got -5)'],
    ['window', { type: 'time' }, 'window.durationMs is required (got undefined)'],
    ['window', { type: 'count', durationMs: 100 }, 'window.durationMs is not a known option (known: type, size) (got 100)'],
    ['window', { type: 'time', durationMs: 100, size: 3 }, 'window.size is not a known option (known: type, durationMs) (got 3)'],
  ])('rejects %s = %p', (field, value, expected) => {
    const options = field === 'options' ? value : { [field]: value };
    const message = messageOf(options);
    expect(message).toBe(field === 'options' ? expected : `${PATH}.${expected}`);
  });

  it('accepts a string key (one breaker of a per-key family) without listing it among the options', () => {
    expect(messageOf({ key: 'acme' })).toBeUndefined();
    expect(messageOf({ keys: 'acme' })).not.toContain(' key,');
    expect(new CircuitBreakerPolicy({ name: 'partner-api', key: 'acme' }).key).toBe('acme');
  });

  it('carries the dotted path on the error', () => {
    try {
      validateCircuitBreakerOptions({ minimumCalls: 0 }, PATH);
      throw new Error('expected a throw');
    } catch (error) {
      expect((error as InvalidOptionsError).path).toBe('circuitBreakers.pricing.minimumCalls');
    }
  });
});

describe('CircuitBreakerPolicy option validation', () => {
  it('uses the breaker name as the path', () => {
    expect(() => new CircuitBreakerPolicy({ name: 'pricing', failureThreshold: -1 })).toThrow(
      new InvalidOptionsError('pricing.failureThreshold', 'must be a positive integer', -1),
    );
    expect(() => new CircuitBreakerPolicy({ name: 'pricing', failureThreshold: -1 })).toThrow(
      'pricing.failureThreshold must be a positive integer (got -1)',
    );
  });

  it("uses 'circuitBreaker' as the path for an unnamed breaker", () => {
    expect(() => new CircuitBreakerPolicy({ halfOpenMaxCalls: 0 })).toThrow(
      'circuitBreaker.halfOpenMaxCalls must be a positive integer (got 0)',
    );
    expect(() => new CircuitBreakerPolicy({ name: 3 } as never)).toThrow('circuitBreaker.name must be a non-empty string (got 3)');
    expect(() => new CircuitBreakerPolicy(null as never)).toThrow('circuitBreaker must be an object (got null)');
  });

  it('uses validationPath when given (a framework passes circuitBreakers.<name>)', () => {
    expect(() => new CircuitBreakerPolicy({ name: 'pricing', validationPath: 'circuitBreakers.pricing', recoveryTimeout: -5 })).toThrow(
      'circuitBreakers.pricing.recoveryTimeout must be a positive number (got -5)',
    );
    const breaker = new CircuitBreakerPolicy({ name: 'pricing', validationPath: 'circuitBreakers.pricing', clock: undefined });
    expect(breaker.name).toBe('pricing');
  });
});
