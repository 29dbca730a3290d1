/**
 * Names that some `@CircuitBreaker({ key })` in the process declares per key, recorded when the
 * decorator runs (at import, before any application boots). A registry builds a configured name
 * found here as a family of per-key breakers from the start, instead of one shared breaker that
 * discovery would then have to replace.
 */
const keyedNames = new Set<string>();

export function declareKeyedCircuitBreaker(name: string): void {
  keyedNames.add(name);
}

export function isDeclaredKeyedCircuitBreaker(name: string): boolean {
  return keyedNames.has(name);
}
