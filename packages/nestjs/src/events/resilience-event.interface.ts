import type { CircuitBreakerState, CircuitBreakerTransitionReason, FallbackReason, FallbackSource } from '@bulwark/core';

/**
 * What happened to a policy, as the application sees it (logs, the live event stream). Times are
 * ISO-8601. Error messages never appear: only error class names. Events of a per-key breaker carry
 * its family's `name` and its `key`.
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
  | { type: 'call-rejected'; name: string; key?: string; state: CircuitBreakerState; retryAfterMs: number | null; at: string }
  | { type: 'retry'; name: string; attempt: number; delay: number; error?: string; at: string }
  | { type: 'timeout'; name: string; duration: number; at: string }
  | { type: 'bulkhead-rejected'; name: string; at: string }
  | { type: 'fallback'; name: string; source: FallbackSource; reason: FallbackReason; at: string };

export type ResilienceEventType = ResilienceEvent['type'];
