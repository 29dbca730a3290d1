import type {
  AdmissionPriority,
  CircuitBreakerState,
  CircuitBreakerTransitionReason,
  FallbackReason,
  FallbackSource,
  LoadShedReason,
} from '@bulwark/core';

/**
 * What happened to a policy, as the application sees it (logs, the live event stream). Times are
 * ISO-8601. Error messages never appear: only error class names. Events of a per-key breaker carry
 * its family's `name` and its `key`. On the live event stream, an event that happens once per call
 * in an outage (rejection, retry, timeout, fallback, shed request) may stand for several: `count` says how many
 * (absent: one).
 */
export type ResilienceEvent =
  | {
      type: 'state-change';
      name: string;
      key?: string;
      from: CircuitBreakerState;
      to: CircuitBreakerState;
      reason?: CircuitBreakerTransitionReason;
      at: string;
    }
  | { type: 'call-rejected'; name: string; key?: string; state: CircuitBreakerState; retryAfterMs: number | null; at: string; count?: number }
  | { type: 'retry'; name: string; attempt: number; delay: number; error?: string; at: string; count?: number }
  | { type: 'timeout'; name: string; duration: number; at: string; count?: number }
  | { type: 'bulkhead-rejected'; name: string; at: string; count?: number }
  | { type: 'fallback'; name: string; source: FallbackSource; reason: FallbackReason; at: string; count?: number }
  /** A request shed by load shedding (`name` is `loadShedding`), answered 503. */
  | { type: 'load-shed'; name: string; priority: AdmissionPriority; reason: LoadShedReason; at: string; count?: number };

export type ResilienceEventType = ResilienceEvent['type'];
