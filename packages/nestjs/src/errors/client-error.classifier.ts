import { HttpException } from '@nestjs/common';

/**
 * Exceptions of Nest's microservice and websocket packages (`RpcException`, `WsException`), which
 * an application throws on purpose to answer its client. Recognised by class name along the
 * prototype chain: both packages are optional, and importing them only to ask `instanceof` would
 * load a transport layer into applications that have none.
 */
const INTENTIONAL_EXCEPTION_CLASSES: ReadonlySet<string> = new Set(['RpcException', 'WsException']);

/**
 * Whether a decorated method's error is the application answering its client, not a dependency
 * failing: an `HttpException` with a status below 500 (a 404, a 400, a 409, ...), or an
 * `RpcException` / `WsException`. Never throws.
 */
export function isClientError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  if (error instanceof HttpException) return statusOf(error) < 500;
  for (let proto = Object.getPrototypeOf(error) as object | null; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
    if (typeof name === 'string' && INTENTIONAL_EXCEPTION_CLASSES.has(name)) return true;
  }
  return false;
}

/** A breaker's `isFailure` when none is given: a client error counts as a success (the dependency answered). */
export function isDependencyFailure(error: unknown): boolean {
  return !isClientError(error);
}

/** A retry's `retryOn` when none is given: a client error gets the same answer if repeated. */
export function isRetryable(error: unknown): boolean {
  return !isClientError(error);
}

function statusOf(exception: HttpException): number {
  try {
    const status = exception.getStatus();
    return typeof status === 'number' ? status : 500;
  } catch {
    return 500;
  }
}
