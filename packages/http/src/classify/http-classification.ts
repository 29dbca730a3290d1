/**
 * How an HTTP outcome counts, the way .NET's standard resilience handler and most gateways judge
 * it: a network error, a 5xx, 408 (Request Timeout) and 429 (Too Many Requests) are failures of the
 * dependency and worth another attempt; any other status (2xx, 3xx, the other 4xx) is an answer
 * the dependency gave on purpose: a success for its breaker, and not retried.
 */
export function isFailureStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

/** Methods that may be sent twice (RFC 9110 idempotent methods, TRACE aside). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/**
 * Whether a request may be retried (or hedged): an idempotent method, or a POST / PATCH carrying an
 * `Idempotency-Key` header (the server then deduplicates it). A body that can only be read once (a
 * stream) cannot be sent again, whatever the method.
 */
export function isIdempotentRequest(method: string, hasIdempotencyKey: boolean, replayableBody = true): boolean {
  if (!replayableBody) return false;
  const upper = method.toUpperCase();
  if (IDEMPOTENT_METHODS.has(upper)) return true;
  return (upper === 'POST' || upper === 'PATCH') && hasIdempotencyKey;
}

/** Methods that only read: the ones a hedged second request is sent for. */
export function isReadRequest(method: string): boolean {
  const upper = method.toUpperCase();
  return upper === 'GET' || upper === 'HEAD';
}

/** The status of an answer (`{ status }`: a fetch `Response`, an axios response), if it has one. */
export function statusOf(answer: unknown): number | undefined {
  const status = (answer as { status?: unknown } | null | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** An answer with a failure status: retried (if idempotent) and counted against the breaker. */
export function isFailureAnswer(answer: unknown): boolean {
  const status = statusOf(answer);
  return status !== undefined && isFailureStatus(status);
}
