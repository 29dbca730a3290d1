import { createResilienceDecorator } from './apply-resilience-spec.js';
import type { FallbackDecoratorOptions, FallbackFunction } from './resilience-spec.interface.js';

/**
 * What a failed call returns instead of its error, decided after retries and the breaker:
 * - `@Fallback('cachedPrice')`: calls `this.cachedPrice(...args, error)`;
 * - `@Fallback(fn)`: calls `fn(...args, error)` with `this` bound to the instance;
 * - `@Fallback({ method | fn, on?, onResult?, staleIfError?: { maxAge, maxEntries? }, key? })`: `on`
 *   limits it to some errors; `onResult` makes some resolved values fall back too (the handler gets
 *   the value in the error's place); `staleIfError` serves the last good result for the same arguments.
 */
export function Fallback(target: string | FallbackFunction | FallbackDecoratorOptions): MethodDecorator & ClassDecorator {
  return createResilienceDecorator('fallback', { options: fallbackOptions(target) });
}

function fallbackOptions(target: string | FallbackFunction | FallbackDecoratorOptions): FallbackDecoratorOptions {
  if (typeof target === 'string') {
    if (target.trim() === '') throw new TypeError('@Fallback: the method name must not be empty');
    return { method: target };
  }
  if (typeof target === 'function') return { fn: target };
  if (target === null || typeof target !== 'object') throw new TypeError('@Fallback: expected a method name, a function or options');
  if (target.method !== undefined && target.fn !== undefined) throw new TypeError('@Fallback: give `method` or `fn`, not both');
  if (target.method === undefined && target.fn === undefined && target.staleIfError === undefined) {
    throw new TypeError('@Fallback: give `method`, `fn` or `staleIfError`');
  }
  return { ...target };
}
