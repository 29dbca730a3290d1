import { systemClock, type CircuitBreakerSnapshot, type CircuitBreakerTransitionReason, type Disposable } from '@bulwark/core';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ResilienceEventBus } from '../../events/resilience-event-bus.js';
import type { ResilienceEvent } from '../../events/resilience-event.interface.js';
import type { ResilienceModuleOptions } from '../../options/resilience-options.interface.js';
import { CircuitBreakerRegistry } from '../../registries/circuit-breaker.registry.js';
import { RESILIENCE_OPTIONS } from '../../resilience.constants.js';
import type { TransitionLogLevel } from '../observability-options.interface.js';
import { loggingSettings } from './logging.settings.js';
import { formatDuration, LogThrottle, type LogLine } from './log-throttle.js';

type StateChange = Extract<ResilienceEvent, { type: 'state-change' }>;

/**
 * One outage of a breaker: from leaving closed to closing again, across half-open rounds. What
 * the lines report is time spent open (or forced open), rejecting calls: half-open rounds, while
 * trial calls run, are not counted.
 */
interface Outage {
  /** Time spent open in the periods already ended. */
  openMs: number;
  /** When the current open period began; undefined while half-open. */
  openSince: number | undefined;
}

const TRIAL_REASONS: Partial<Record<CircuitBreakerTransitionReason, string>> = {
  'half-open-failure': 'a trial call failed',
  'half-open-timeout': 'no trial call answered within the recovery timeout',
  'half-open-success': 'the trial calls succeeded',
  manual: 'reset',
};

/**
 * Logs circuit breaker transitions through Nest's `Logger` (context `Bulwark`): a warning when a
 * breaker opens or is forced open (with its failure rate), a line at the configured level when it
 * half-opens, closes (with how long it was open) or is disabled. Each breaker and kind of line is
 * rate-limited (`logging.rateLimitMs`), so a flapping dependency cannot flood the log.
 */
@Injectable()
export class CircuitBreakerLogger implements OnModuleDestroy {
  private readonly logger = new Logger('Bulwark');
  private readonly level: TransitionLogLevel = 'log';
  private readonly throttle: LogThrottle | undefined;
  private readonly subscription: Disposable | undefined;
  /** Outages by breaker: its name, or for a per-key breaker its name and key. */
  private readonly outages = new Map<string, Outage>();
  private readonly keyedRemoved: Disposable | undefined;

  constructor(
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    events: ResilienceEventBus,
    private readonly breakers: CircuitBreakerRegistry,
  ) {
    const settings = loggingSettings(options.logging);
    if (settings === undefined) return;
    this.level = settings.level;
    this.throttle = new LogThrottle(settings.rateLimitMs, options.clock ?? systemClock, (line) => this.write(line));
    this.subscription = events.onEvent((event) => {
      if (event.type === 'state-change') this.onStateChange(event);
    });
    // An evicted key never closes: its outage must not outlive it.
    this.keyedRemoved = breakers.onKeyedRemoved((breaker) => this.outages.delete(outageId(breaker.name, breaker.key)));
  }

  onModuleDestroy(): void {
    this.subscription?.dispose();
    this.keyedRemoved?.dispose();
    this.throttle?.dispose();
  }

  private onStateChange(event: StateChange): void {
    const line = this.describe(event, Date.parse(event.at));
    // Per family, not per key: a partner outage opening many tenants' breakers at once is one
    // burst of lines (summarised), and the throttle keeps no state per key.
    if (line !== undefined) this.throttle!.submit(`${event.name}\u0000${event.to}`, line);
  }

  private describe(event: StateChange, at: number): LogLine | undefined {
    const { from, to, reason, key } = event;
    const name = outageId(event.name, key);
    const breaker = key === undefined ? this.breakers.get(event.name) : this.breakers.family(event.name)?.peek(key);
    const label = key === undefined ? `Circuit breaker "${event.name}"` : `Circuit breaker "${event.name}" (key ${JSON.stringify(key)})`;
    switch (to) {
      case 'open': {
        const outage = this.opening(name, at);
        const snapshot = breaker?.snapshot();
        const rate = snapshot === undefined ? '' : `, failure rate ${snapshot.failureRate}%`;
        const next = breaker === undefined ? '' : `; next trial in ${formatDuration(breaker.currentRecoveryTimeout)}`;
        if (from === 'half-open') {
          const why = TRIAL_REASONS[reason ?? 'half-open-failure'] ?? reason;
          return this.warn(`${label} re-opened: ${why}${rate}${next} (open ${formatDuration(outage.openMs)} so far)`);
        }
        return this.warn(`${label} opened (${this.openReason(reason, snapshot)}${rate})${next}`);
      }
      case 'forced-open': {
        this.opening(name, at);
        const rate = breaker === undefined ? '' : ` (failure rate ${breaker.snapshot().failureRate}%)`;
        return this.warn(`${label} forced open${rate}; every call is rejected until it is reset`);
      }
      case 'half-open': {
        const period = this.openPeriodEnds(name, at);
        const after = period === undefined ? '' : ` after ${formatDuration(period)} open`;
        const trials = breaker?.options.halfOpenMaxCalls ?? 1;
        return this.line(`${label} half-open${after}; letting ${trials} trial ${trials === 1 ? 'call' : 'calls'} through`);
      }
      case 'closed': {
        this.openPeriodEnds(name, at);
        const outage = this.outages.get(name);
        this.outages.delete(name);
        const why = reason === undefined ? '' : ` (${TRIAL_REASONS[reason] ?? reason})`;
        if (outage === undefined) return this.line(`${label} closed${why}`);
        return this.line(`${label} closed after ${formatDuration(outage.openMs)} open${why}`);
      }
      case 'disabled':
        this.outages.delete(name);
        return this.line(`${label} disabled; calls pass unprotected until it is reset`);
      default:
        return undefined;
    }
  }

  /** A breaker (re-)opening: a new outage, or the next open period of the current one. */
  private opening(name: string, at: number): Outage {
    const outage = this.outages.get(name);
    if (outage === undefined) {
      const started: Outage = { openMs: 0, openSince: at };
      this.outages.set(name, started);
      return started;
    }
    // Open -> forced open continues the period already running.
    outage.openSince ??= at;
    return outage;
  }

  /** Ends the current open period, if any, and returns its length. */
  private openPeriodEnds(name: string, at: number): number | undefined {
    const outage = this.outages.get(name);
    if (outage?.openSince === undefined) return undefined;
    const period = at - outage.openSince;
    outage.openMs += period;
    outage.openSince = undefined;
    return period;
  }

  private openReason(reason: CircuitBreakerTransitionReason | undefined, snapshot: CircuitBreakerSnapshot | undefined): string {
    if (reason === 'failure-threshold' && snapshot !== undefined) {
      return `${snapshot.failureCount} consecutive ${snapshot.failureCount === 1 ? 'failure' : 'failures'}`;
    }
    if (reason === 'failure-rate' && snapshot !== undefined) return `failure rate threshold reached over ${snapshot.totalCalls} calls`;
    if (reason === 'slow-call-rate' && snapshot !== undefined) return `slow-call rate ${snapshot.slowCallRate}%`;
    return reason ?? 'threshold reached';
  }

  private warn(message: string): LogLine {
    return { level: 'warn', message };
  }

  private line(message: string): LogLine {
    return { level: this.level, message };
  }

  private write(line: LogLine): void {
    this.logger[line.level](line.message);
  }
}

/** Tells breakers apart in the outage map: the name, plus the key of a per-key breaker. */
function outageId(name: string, key: string | undefined): string {
  return key === undefined ? name : `${name}\u0000${key}`;
}
