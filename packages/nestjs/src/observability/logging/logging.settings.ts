import type { ResilienceLoggingOptions, TransitionLogLevel } from '../observability-options.interface.js';

export const DEFAULT_LOG_RATE_LIMIT_MS = 10_000;

export interface LoggingSettings {
  readonly level: TransitionLogLevel;
  readonly rateLimitMs: number;
}

/** `logging` with its defaults; `undefined` when logging is off. On unless `logging: false`. */
export function loggingSettings(logging: ResilienceLoggingOptions | boolean | undefined): LoggingSettings | undefined {
  if (logging === false) return undefined;
  const given = logging === true || logging === undefined ? {} : logging;
  return { level: given.level ?? 'log', rateLimitMs: given.rateLimitMs ?? DEFAULT_LOG_RATE_LIMIT_MS };
}
