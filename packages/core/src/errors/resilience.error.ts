/**
 * Base class of every error a Bulwark policy raises itself (never of errors it passes through).
 * `name` stays the class name, as for any `Error`; the policy that raised it is `policyName`.
 */
export abstract class ResilienceError extends Error {
  /** The name of the policy (breaker, timeout, bulkhead) that raised the error. */
  readonly policyName: string;

  protected constructor(message: string, policyName: string) {
    super(message);
    this.policyName = policyName;
  }
}

/**
 * Builds an error without capturing a stack trace: fast-fail paths reject thousands of calls per
 * second, and a stack costs microseconds each while telling nothing the policy name does not.
 */
export function createWithoutStack<E extends Error>(create: () => E): E {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return create();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
