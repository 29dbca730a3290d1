/**
 * What one subscription to an Observable emitted before it completed, when a policy judges
 * results (see `ResiliencePolicy.inspectsResults`): the RxJS operator buffers an attempt's values
 * and resolves the attempt with them, so predicates, caches and subscribers all see the method's
 * own values and never an internal marker. Framework-free: the core's policies only unwrap it.
 */
export class EmittedValues<T = unknown> {
  constructor(readonly values: readonly T[]) {}
}

/**
 * Whether `predicate` holds for a result: for an Observable's emitted values, for any one of them
 * (an empty completion has nothing to judge); for any other result, for the result itself.
 */
export function anyResult(result: unknown, predicate: (value: unknown) => unknown): boolean {
  if (!(result instanceof EmittedValues)) return !!predicate(result);
  const values = result.values;
  for (let i = 0; i < values.length; i++) if (predicate(values[i])) return true;
  return false;
}

/** `map` applied to a result: to each emitted value of an Observable's, else to the result itself. */
export function mapResult(result: unknown, map: (value: unknown) => unknown): unknown {
  return result instanceof EmittedValues ? new EmittedValues(result.values.map(map)) : map(result);
}
