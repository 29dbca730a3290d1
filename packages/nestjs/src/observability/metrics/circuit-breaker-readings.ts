import type { CircuitBreakerSnapshot } from '@bulwark/core';

/** One breaker as a scrape sees it: the labels of its series and its one snapshot. */
export interface CircuitBreakerReading {
  readonly labels: Readonly<Record<string, string>>;
  readonly snapshot: CircuitBreakerSnapshot;
}

/**
 * The breakers' snapshots of one scrape, taken on the scrape's first read and shared by every
 * breaker series, so that one scrape reads each breaker once and all its series agree. A scrape is
 * one synchronous pass: prom-client's registry calls every metric's `collect` before awaiting any
 * of them, and an OpenTelemetry batch callback is one call. The snapshots are dropped when the
 * pass ends (a microtask later), so the next scrape reads the breakers afresh.
 */
export class CircuitBreakerReadings {
  private current: readonly CircuitBreakerReading[] | undefined = undefined;
  private readonly forget = (): void => {
    this.current = undefined;
  };

  /** `read` takes the snapshots (see `ResilienceMetricSources`). */
  constructor(private readonly read: () => readonly CircuitBreakerReading[]) {}

  take(): readonly CircuitBreakerReading[] {
    let current = this.current;
    if (current !== undefined) return current;
    current = this.read();
    this.current = current;
    queueMicrotask(this.forget);
    return current;
  }
}
