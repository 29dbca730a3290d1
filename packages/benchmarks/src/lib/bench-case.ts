/** How a case's every call must end; anything else fails the run. */
export type CallShape = 'resolve' | 'reject';

/** One thing timed per call: `call()` is awaited sequentially, the way a request awaits a dependency. */
export interface BenchCase {
  readonly id: string;
  readonly call: () => unknown;
  readonly shape: CallShape;
  /** `resolve`: the value every call must resolve with (compared with `===`). */
  readonly expected?: unknown;
  /** `reject`: recognises the rejection every call must produce. */
  readonly isExpectedError?: (error: unknown) => boolean;
}

export function resolving(id: string, call: () => unknown, expected: unknown = 42): BenchCase {
  return { id, call, shape: 'resolve', expected };
}

export function rejecting(id: string, call: () => unknown, isExpectedError: (error: unknown) => boolean): BenchCase {
  return { id, call, shape: 'reject', isExpectedError };
}

/** The dependency every case protects: the issue's `async () => 42`. */
export const answer = async (): Promise<number> => 42;
