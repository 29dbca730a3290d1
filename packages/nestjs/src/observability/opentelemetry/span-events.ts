import type { TimeoutEvent } from '@bulwark/core';
import type { Attributes, Span, TraceAPI } from '@opentelemetry/api';
import type { ResilienceEvent } from '../../events/resilience-event.interface.js';

/** Names of the span events Bulwark adds to the active span. */
export const SPAN_EVENTS = {
  retry: 'bulwark.retry',
  fallback: 'bulwark.fallback',
  timeout: 'bulwark.timeout',
  circuitBreakerRejected: 'bulwark.circuit_breaker.rejected',
  bulkheadRejected: 'bulwark.bulkhead.rejected',
} as const;

/**
 * Adds a span event for a retry attempt, a fallback or a rejected call to the span active where the
 * policy emitted it: they are emitted inside the call, so that is the caller's span. Timeouts are
 * recorded by `recordTimeoutSpanEvent` on the span captured when the timed-out call started.
 * State changes are not span events (they are logged, and exported as the state gauge).
 */
export function recordSpanEvent(trace: TraceAPI, event: ResilienceEvent): void {
  if (event.type === 'state-change') return;
  const span = trace.getActiveSpan();
  if (span === undefined || !span.isRecording()) return;
  const attributes: Attributes = { 'bulwark.policy.name': event.name };
  switch (event.type) {
    case 'retry':
      attributes['bulwark.retry.attempt'] = event.attempt;
      attributes['bulwark.retry.delay_ms'] = event.delay;
      if (event.error !== undefined) attributes['error.type'] = event.error;
      span.addEvent(SPAN_EVENTS.retry, attributes);
      return;
    case 'fallback':
      attributes['bulwark.fallback.reason'] = event.reason;
      attributes['bulwark.fallback.source'] = event.source;
      span.addEvent(SPAN_EVENTS.fallback, attributes);
      return;
    case 'timeout':
      return; // see recordTimeoutSpanEvent
    case 'call-rejected':
      if (event.key !== undefined) attributes['bulwark.circuit_breaker.key'] = event.key;
      attributes['bulwark.circuit_breaker.state'] = event.state;
      if (event.retryAfterMs !== null) attributes['bulwark.circuit_breaker.retry_after_ms'] = event.retryAfterMs;
      span.addEvent(SPAN_EVENTS.circuitBreakerRejected, attributes);
      return;
    case 'bulkhead-rejected':
      span.addEvent(SPAN_EVENTS.bulkheadRejected, attributes);
      return;
    default:
      // Event types added later (by other features) are not span events until chosen to be.
      return;
  }
}

/** A timeout, on the span that was active when the timed-out call started (`captureContext`). */
export function recordTimeoutSpanEvent(event: TimeoutEvent): void {
  const span = event.context as Span | undefined;
  if (span === undefined || typeof span.isRecording !== 'function' || !span.isRecording()) return;
  span.addEvent(SPAN_EVENTS.timeout, { 'bulwark.policy.name': event.name, 'bulwark.timeout.duration_ms': event.duration });
}
