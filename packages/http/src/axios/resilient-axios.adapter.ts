import axios, {
  AxiosError,
  AxiosHeaders,
  CanceledError,
  type AxiosAdapter,
  type AxiosResponse,
  type InternalAxiosRequestConfig,
} from 'axios';
import { HttpResilience, type HttpAttempt } from '../client/http-resilience.js';
import type { HttpRequestResilience, HttpResilienceOptions } from '../options/http-resilience.options.js';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** What this one request changes of its client's resilience (`@bulwark/http/axios`). */
    resilience?: HttpRequestResilience;
  }
}

/** The adapter's options: the client's, and the axios adapter that sends each attempt. */
export interface ResilientAxiosAdapterOptions extends Omit<HttpResilienceOptions, 'fetch'> {
  /** What sends an attempt: an adapter, or axios' name(s) for one. Default `['http', 'fetch']`. */
  adapter?: AxiosAdapter | 'http' | 'fetch' | 'xhr' | ReadonlyArray<AxiosAdapter | 'http' | 'fetch' | 'xhr'>;
}

/**
 * An axios adapter with the client's resilience around every request (see `HttpResilience`):
 * `axios.create({ adapter: resilientAxiosAdapter() })`, or `HttpModule.register({ adapter })` for
 * Nest's `HttpService`. Answers behave as axios' do (`validateStatus` still decides which statuses
 * reject, with the usual `AxiosError`), judged the HTTP way before that: a 503 is retried, a 404 is
 * not. A request cut short rejects with Bulwark's `TimeoutError` or `CircuitOpenError` (which
 * `@bulwark/nestjs` maps to 504 and 503), a cancelled one with axios' `CanceledError`.
 */
export function resilientAxiosAdapter(options: ResilientAxiosAdapterOptions = {}): AxiosAdapter {
  const { adapter, ...clientOptions } = options;
  const client = new HttpResilience(clientOptions);
  const base = axios.getAdapter((adapter ?? ['http', 'fetch']) as Parameters<typeof axios.getAdapter>[0]);
  return (config) => {
    let request: ReturnType<typeof describe>;
    try {
      request = describe(config);
    } catch (error) {
      return Promise.reject(error);
    }
    const send = (attempt: HttpAttempt): Promise<AxiosResponse> => {
      const headers = new AxiosHeaders(config.headers);
      if (attempt.deadlineHeader !== undefined) headers.set(attempt.deadlineHeader[0], attempt.deadlineHeader[1]);
      // Every status resolves, so a failed answer is judged (and its body released) like any other;
      // the caller's validateStatus is applied to the answer returned.
      return base({ ...config, headers, signal: attempt.signal, validateStatus: null });
    };
    const signal = config.signal as AbortSignal | undefined;
    return client.execute(request, send, discard, signal, config.resilience).then(
      (response) => settle(response, config),
      (error: unknown) => {
        if (signal?.aborted === true) throw new CanceledError(undefined, undefined, config);
        throw error;
      },
    );
  };
}

function describe(config: InternalAxiosRequestConfig) {
  const data: unknown = config.data;
  return {
    method: (config.method ?? 'get').toUpperCase(),
    url: axios.getUri({ baseURL: config.baseURL, url: config.url, allowAbsoluteUrls: config.allowAbsoluteUrls }),
    hasIdempotencyKey: AxiosHeaders.from(config.headers).has('idempotency-key'),
    // A stream is read as it is sent: it cannot be sent again.
    replayableBody: !isStream(data),
  };
}

function isStream(data: unknown): boolean {
  return data instanceof ReadableStream || (typeof data === 'object' && data !== null && typeof (data as { pipe?: unknown }).pipe === 'function');
}

/** The answer returned, as axios' own adapters settle it: rejected when `validateStatus` says so. */
function settle(response: AxiosResponse, config: InternalAxiosRequestConfig): AxiosResponse {
  response.config = config;
  const validate = config.validateStatus;
  if (!response.status || !validate || validate(response.status)) return response;
  throw new AxiosError(
    `Request failed with status code ${response.status}`,
    response.status >= 400 && response.status < 500 ? AxiosError.ERR_BAD_REQUEST : AxiosError.ERR_BAD_RESPONSE,
    config,
    response.request,
    response,
  );
}

/** Beyond this much left unread, the body of an answer not returned is cut off rather than drained. */
const MAX_DRAIN_BYTES = 1024 * 1024;

/**
 * An answer not returned: a streamed body is read to its end and dropped, so the connection goes
 * back to the pool (destroying it would close the socket); past 1 MiB it is destroyed instead. A
 * buffered body is already read.
 */
function discard(response: AxiosResponse): void {
  const data: unknown = response.data;
  if (data instanceof ReadableStream) {
    data.cancel().catch(() => undefined);
    return;
  }
  const stream = data as Partial<NodeJS.ReadableStream & { destroy(): void }> | null;
  if (typeof stream?.resume !== 'function' || typeof stream.on !== 'function') return;
  let left = MAX_DRAIN_BYTES;
  stream.on('data', (chunk: { length: number }) => {
    left -= chunk.length;
    if (left < 0) stream.destroy?.();
  });
  stream.on('error', () => undefined);
  stream.resume();
}
