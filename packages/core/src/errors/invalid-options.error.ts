/**
 * Raised when policy options are invalid, at construction (and so at application start-up), with a
 * message naming the policy and the field: `circuitBreakers.pricing.failureThreshold must be a
 * positive integer (got -1)`.
 */
export class InvalidOptionsError extends Error {
  override readonly name = 'InvalidOptionsError';
  /** Dotted path of the offending field. */
  readonly path: string;

  constructor(path: string, expectation: string, value: unknown) {
    super(`${path} ${expectation} (got ${describeValue(value)})`);
    this.path = path;
  }
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value !== null && typeof value === 'object') return 'object';
  return String(value);
}
