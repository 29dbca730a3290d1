import { TimeoutError } from '@bulwark/nestjs';

/** A downstream answered with an HTTP error status. */
export class DownstreamError extends Error {
  override readonly name = 'DownstreamError';

  constructor(
    readonly service: string,
    readonly status: number,
  ) {
    super(`${service} answered HTTP ${status}`);
  }
}

/**
 * Whether a failed attempt is worth another: a network failure (fetch's `TypeError`) or a 5xx.
 * Not a timeout: the attempt already spent the whole budget, and retrying a slow service multiplies
 * the page's latency and the load on a service that is struggling. Not a 4xx: the answer will not
 * change.
 */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof DownstreamError) return error.status >= 500;
  if (error instanceof TimeoutError) return false;
  return error instanceof TypeError;
}

/** What a breaker holds against a dependency: everything but a 4xx, which means it is up and answering. */
export function isDependencyFailure(error: unknown): boolean {
  return !(error instanceof DownstreamError && error.status < 500);
}

/** The JSON body of a 2xx response, or a `DownstreamError` (the body is discarded, freeing the connection). */
export async function readJson<T>(service: string, response: Response): Promise<T> {
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownstreamError(service, response.status);
  }
  return (await response.json()) as T;
}
