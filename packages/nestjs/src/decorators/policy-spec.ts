import type { PolicySpec } from './resilience-spec.interface.js';

/** Normalises the `()`, `('name')` and `({ name?, ...overrides })` forms of a policy decorator. */
export function policySpec<O extends object>(decorator: string, nameOrOptions: string | (O & { name?: string }) | undefined): PolicySpec<O> {
  if (nameOrOptions === undefined) return {};
  if (typeof nameOrOptions === 'string') {
    if (nameOrOptions.trim() === '') throw new TypeError(`${decorator}: the policy name must not be empty`);
    return { name: nameOrOptions };
  }
  if (nameOrOptions === null || typeof nameOrOptions !== 'object' || Array.isArray(nameOrOptions)) {
    throw new TypeError(`${decorator}: expected nothing, a policy name or an options object`);
  }
  const { name, ...options } = nameOrOptions;
  if (name !== undefined && (typeof name !== 'string' || name.trim() === '')) {
    throw new TypeError(`${decorator}: the policy name must be a non-empty string`);
  }
  return { name, options: Object.keys(options).length > 0 ? (options as unknown as O) : undefined };
}
