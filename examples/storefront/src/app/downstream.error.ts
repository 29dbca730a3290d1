/** A downstream answered with an HTTP error status (after its client's retries). */
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
 * The JSON body of a 2xx `fetch` response, or a `DownstreamError` (the body is discarded, freeing
 * the connection). `resilientFetch` resolves with failure statuses, as `fetch` does, once its
 * retries are spent: turning them into errors is the caller's business.
 */
export async function readJson<T>(service: string, response: Response): Promise<T> {
  if (!response.ok) {
    await response.body?.cancel();
    throw new DownstreamError(service, response.status);
  }
  return (await response.json()) as T;
}
