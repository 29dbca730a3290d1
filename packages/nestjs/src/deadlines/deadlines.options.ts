import { InvalidOptionsError, MAX_TIMER_DELAY_MS } from '@bulwark/core';

/** How an application takes the time budget its callers send with each request. */
export interface DeadlinesOptions {
  /** The header carrying the budget in relative milliseconds. Default `x-request-deadline-ms`. gRPC calls read `grpc-timeout`. */
  header?: string;
  /** The longest budget taken from a request (ms); a larger one is cut to this. Default 300 000 (5 min). */
  max?: number;
}

/** The header a request's budget is read from unless `deadlines.header` says otherwise. */
export const DEFAULT_REQUEST_DEADLINE_HEADER = 'x-request-deadline-ms';
/** The longest budget taken from a request unless `deadlines.max` says otherwise (5 min). */
export const DEFAULT_MAX_REQUEST_DEADLINE_MS = 300_000;

/** The settings in force: `header` undefined when requests' budgets are ignored (`deadlines: false`). */
export interface ResolvedDeadlines {
  readonly header: string | undefined;
  readonly max: number;
}

export function resolveDeadlines(options: DeadlinesOptions | false | undefined): ResolvedDeadlines {
  if (options === false) return { header: undefined, max: DEFAULT_MAX_REQUEST_DEADLINE_MS };
  return { header: (options?.header ?? DEFAULT_REQUEST_DEADLINE_HEADER).toLowerCase(), max: options?.max ?? DEFAULT_MAX_REQUEST_DEADLINE_MS };
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function validateDeadlinesOptions(value: unknown): void {
  if (value === undefined || value === false) return;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidOptionsError('deadlines', 'must be false or { header?, max? }', value);
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'header' && key !== 'max') throw new InvalidOptionsError(`deadlines.${key}`, 'is not a deadlines option (known: header, max)', record[key]);
  }
  const { header, max } = record;
  if (header !== undefined && (typeof header !== 'string' || !HEADER_NAME.test(header))) throw new InvalidOptionsError('deadlines.header', 'must be a header name', header);
  if (max !== undefined && (typeof max !== 'number' || !Number.isFinite(max) || max <= 0 || max > MAX_TIMER_DELAY_MS)) {
    throw new InvalidOptionsError('deadlines.max', `must be a number of ms above 0 and at most ${MAX_TIMER_DELAY_MS}`, max);
  }
}
