import {
  ADMISSION_PRIORITIES,
  type AdmissionSnapshot,
  type CircuitBreakerState,
  type FallbackPolicy,
  type FallbackReason,
  type RetryPolicy,
  type RetryStats,
  type TimeoutPolicy,
} from '@bulwark/core';
import type { ShedCounts } from '../../load-shedding/inbound-admission.js';
import type { AnyBulkheadPolicy } from '../../registries/bulkhead.registry.js';
import type { CallDurationSource } from './call-duration.js';
import type { CircuitBreakerReading } from './circuit-breaker-readings.js';

/** What the exporters read, on scrape only: the policies' own counters and snapshots. */
export interface PolicyMetricSources {
  /** Every breaker (shared, then per key) with its snapshot, read once per scrape for all its series. */
  circuitBreakerReadings(): readonly CircuitBreakerReading[];
  retries(): readonly RetryPolicy[];
  timeouts(): readonly TimeoutPolicy[];
  bulkheads(): readonly AnyBulkheadPolicy[];
  fallbacks(): readonly FallbackPolicy[];
  /** The admission controller's state and its sheds by priority and reason, when `loadShedding` is on. */
  loadShedding(): { readonly name: string; readonly snapshot: AdmissionSnapshot; readonly shed: Readonly<ShedCounts> } | undefined;
  readonly durations: CallDurationSource;
}

export type MetricLabels = Readonly<Record<string, string>>;
export type EmitSample = (labels: MetricLabels, value: number) => void;

/** A gauge or a counter, defined once for every exporter (Prometheus, OpenTelemetry). */
export interface PolicyMetricDefinition {
  readonly name: string;
  readonly help: string;
  readonly kind: 'gauge' | 'counter';
  readonly labelNames: readonly string[];
  /** Emits the current value of every series. */
  collect(sources: PolicyMetricSources, emit: EmitSample): void;
}

export const CIRCUIT_BREAKER_STATES: readonly CircuitBreakerState[] = ['closed', 'open', 'half-open', 'forced-open', 'disabled'];

const BREAKER_OUTCOMES = [
  ['success', 'success'],
  ['failure', 'failure'],
  ['ignored', 'ignored'],
  ['not_permitted', 'notPermitted'],
] as const;

const RETRY_OUTCOMES: readonly (readonly [string, keyof RetryStats])[] = [
  ['success_without_retry', 'successWithoutRetry'],
  ['success_with_retry', 'successWithRetry'],
  ['failed_with_retry', 'failedWithRetry'],
  ['failed_without_retry', 'failedWithoutRetry'],
];

export const FALLBACK_REASONS: readonly FallbackReason[] = ['circuit_open', 'timeout', 'bulkhead_full', 'error', 'result'];

/**
 * Every gauge and counter Bulwark exports, with its exact name and labels. A per-key breaker's
 * series carry its family's `name` and its `key`; a shared breaker's have no `key` label.
 */
export const POLICY_METRICS: readonly PolicyMetricDefinition[] = [
  {
    name: 'bulwark_circuit_breaker_state',
    help: 'Circuit breaker state: 1 for the current state, 0 for the others',
    kind: 'gauge',
    labelNames: ['name', 'key', 'state'],
    collect(sources, emit) {
      for (const { labels, snapshot } of sources.circuitBreakerReadings()) {
        const current = snapshot.state;
        for (const state of CIRCUIT_BREAKER_STATES) emit({ ...labels, state }, state === current ? 1 : 0);
      }
    },
  },
  {
    name: 'bulwark_circuit_breaker_calls_total',
    help: 'Calls through a circuit breaker by outcome (not_permitted: rejected without being run)',
    kind: 'counter',
    labelNames: ['name', 'key', 'outcome'],
    collect(sources, emit) {
      for (const { labels, snapshot } of sources.circuitBreakerReadings()) {
        const calls = snapshot.calls;
        for (const [outcome, field] of BREAKER_OUTCOMES) emit({ ...labels, outcome }, calls[field]);
      }
    },
  },
  {
    name: 'bulwark_circuit_breaker_failure_rate',
    help: "Failure rate of a circuit breaker's recent calls, in percent",
    kind: 'gauge',
    labelNames: ['name', 'key'],
    collect(sources, emit) {
      for (const { labels, snapshot } of sources.circuitBreakerReadings()) emit(labels, snapshot.failureRate);
    },
  },
  {
    name: 'bulwark_circuit_breaker_slow_call_rate',
    help: "Slow-call rate of a circuit breaker's recent calls, in percent",
    kind: 'gauge',
    labelNames: ['name', 'key'],
    collect(sources, emit) {
      for (const { labels, snapshot } of sources.circuitBreakerReadings()) emit(labels, snapshot.slowCallRate);
    },
  },
  {
    name: 'bulwark_retry_calls_total',
    help: 'Calls through a retry policy by outcome',
    kind: 'counter',
    labelNames: ['name', 'outcome'],
    collect(sources, emit) {
      for (const retry of sources.retries()) {
        const stats = retry.stats;
        for (const [outcome, field] of RETRY_OUTCOMES) emit({ name: retry.name, outcome }, stats[field]);
      }
    },
  },
  {
    name: 'bulwark_timeouts_total',
    help: "Calls abandoned at a timeout policy's deadline",
    kind: 'counter',
    labelNames: ['name'],
    collect(sources, emit) {
      for (const timeout of sources.timeouts()) emit({ name: timeout.name }, timeout.timeoutCount);
    },
  },
  {
    name: 'bulwark_bulkhead_rejected_total',
    help: 'Calls rejected because every slot and queue place of a bulkhead was taken',
    kind: 'counter',
    labelNames: ['name'],
    collect(sources, emit) {
      for (const bulkhead of sources.bulkheads()) emit({ name: bulkhead.name }, bulkhead.rejectedCount);
    },
  },
  {
    name: 'bulwark_bulkhead_available',
    help: 'Free slots of a bulkhead (its limit minus running calls, at least 0)',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      for (const bulkhead of sources.bulkheads()) emit({ name: bulkhead.name }, Math.max(0, bulkheadLimit(bulkhead) - bulkhead.running));
    },
  },
  {
    name: 'bulwark_bulkhead_limit',
    help: 'Calls a bulkhead lets run at once: maxConcurrent, or the learnt limit of an adaptive one',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      for (const bulkhead of sources.bulkheads()) emit({ name: bulkhead.name }, bulkheadLimit(bulkhead));
    },
  },
  {
    name: 'bulwark_bulkhead_in_flight',
    help: 'Calls holding a slot of a bulkhead',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      for (const bulkhead of sources.bulkheads()) emit({ name: bulkhead.name }, bulkhead.running);
    },
  },
  {
    name: 'bulwark_bulkhead_queued',
    help: 'Calls waiting for a slot of a bulkhead',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      for (const bulkhead of sources.bulkheads()) emit({ name: bulkhead.name }, bulkhead.queued);
    },
  },
  {
    name: 'bulwark_load_shedding_limit',
    help: 'Requests load shedding admits at once (its learnt limit; critical ones are admitted beyond it)',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      const state = sources.loadShedding();
      if (state !== undefined) emit({ name: state.name }, state.snapshot.limit);
    },
  },
  {
    name: 'bulwark_load_shedding_in_flight',
    help: 'Requests admitted by load shedding and not yet answered',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      const state = sources.loadShedding();
      if (state !== undefined) emit({ name: state.name }, state.snapshot.inFlight);
    },
  },
  {
    name: 'bulwark_load_shedding_queued',
    help: 'Requests waiting in the load-shedding queue',
    kind: 'gauge',
    labelNames: ['name'],
    collect(sources, emit) {
      const state = sources.loadShedding();
      if (state !== undefined) emit({ name: state.name }, state.snapshot.queued);
    },
  },
  {
    name: 'bulwark_load_shed_total',
    help: 'Requests shed (answered 503), by priority and reason (capacity, queue_timeout)',
    kind: 'counter',
    labelNames: ['name', 'priority', 'reason'],
    collect(sources, emit) {
      const state = sources.loadShedding();
      if (state === undefined) return;
      const name = state.name;
      for (const priority of ADMISSION_PRIORITIES) {
        const counts = state.shed[priority];
        emit({ name, priority, reason: 'capacity' }, counts.capacity);
        emit({ name, priority, reason: 'queue_timeout' }, counts['queue-timeout']);
      }
    },
  },
  {
    name: 'bulwark_fallbacks_total',
    help: 'Fallbacks served, by the reason the call failed',
    kind: 'counter',
    labelNames: ['name', 'reason'],
    collect(sources, emit) {
      for (const [name, counts] of fallbackCountsByName(sources.fallbacks())) {
        for (const reason of FALLBACK_REASONS) emit({ name, reason }, counts[reason]);
      }
    },
  },
];

function bulkheadLimit(bulkhead: AnyBulkheadPolicy): number {
  return 'maxConcurrent' in bulkhead ? bulkhead.maxConcurrent : bulkhead.limit;
}

/** The histogram, read from the call-duration source (see `call-duration.ts`). */
export const CALL_DURATION_METRIC = {
  name: 'bulwark_call_duration_seconds',
  help: 'Duration of the calls a circuit breaker let through, in seconds',
  labelNames: ['name', 'key'],
} as const;

/**
 * Fallback policies belong to methods, and two classes of the same name in one application give
 * two policies one name: their counts are added, so every series is emitted once.
 */
function fallbackCountsByName(fallbacks: readonly FallbackPolicy[]): Map<string, Record<FallbackReason, number>> {
  const byName = new Map<string, Record<FallbackReason, number>>();
  for (const fallback of fallbacks) {
    const counts = fallback.fallbackCounts;
    const total = byName.get(fallback.name);
    if (total === undefined) {
      byName.set(fallback.name, { ...counts });
      continue;
    }
    for (const reason of FALLBACK_REASONS) total[reason] += counts[reason];
  }
  return byName;
}
