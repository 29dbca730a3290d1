import { createResilienceDecorator } from './apply-resilience-spec.js';
import type { TimeoutSpec } from './resilience-spec.interface.js';

/**
 * Bounds each execution in time; rejects with `TimeoutError` and aborts `currentSignal()`.
 * - `@Timeout()`: `defaults.timeout` (10 s unless configured);
 * - `@Timeout('internal')`: a named timeout or profile (`database` 5 s, `internal` 3 s,
 *   `external` 10 s, `health` 1 s);
 * - `@Timeout(2_000)` or `@Timeout({ duration: 2_000, name? })`.
 */
export function Timeout(setting?: string | number | { duration: number; name?: string }): MethodDecorator & ClassDecorator {
  return createResilienceDecorator('timeout', timeoutSpec(setting));
}

function timeoutSpec(setting: string | number | { duration: number; name?: string } | undefined): TimeoutSpec {
  if (setting === undefined) return {};
  if (typeof setting === 'string') {
    if (setting.trim() === '') throw new TypeError('@Timeout: the timeout name must not be empty');
    return { name: setting };
  }
  if (typeof setting === 'number') return { duration: setting };
  if (setting === null || typeof setting !== 'object') throw new TypeError('@Timeout: expected nothing, a name, milliseconds or { duration }');
  return { name: setting.name, duration: setting.duration };
}
