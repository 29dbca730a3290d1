/**
 * Budgets as callers send them, read defensively: a header is client input. Only plain decimal
 * numbers count (anything else, `NaN`, `1e9`, `0x10`, several values, is no budget at all); a
 * negative one is no time left; a huge one is cut to `max`.
 */
const DECIMAL = /^\s*(-?)(\d{1,15})(?:\.\d*)?\s*$/;

/** The budget in ms of an `x-request-deadline-ms` value, clamped to [0, max]; undefined when absent or not a number. */
export function parseRelativeBudget(value: unknown, max: number): number | undefined {
  if (typeof value !== 'string' || value.length > 32) return undefined;
  const match = DECIMAL.exec(value);
  if (match === null) return undefined;
  if (match[1] === '-') return 0;
  return Math.min(Number(match[2]), max);
}

/** Milliseconds per `grpc-timeout` unit (hours, minutes, seconds, milli-, micro-, nanoseconds). */
const GRPC_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1_000, m: 1, u: 0.001, n: 0.000001 };
const GRPC_TIMEOUT = /^(\d{1,8})([HMSmun])$/;

/** The budget in ms of a gRPC `grpc-timeout` value (`100m`, `2S`: at most 8 digits and a unit), clamped to [0, max]. */
export function parseGrpcTimeout(value: unknown, max: number): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = GRPC_TIMEOUT.exec(value);
  if (match === null) return undefined;
  return Math.min(Math.floor(Number(match[1]) * GRPC_UNITS[match[2]!]!), max);
}
