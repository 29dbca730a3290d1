import { Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { CircuitBreakerState } from '@bulwark/core';
import { ResilienceHealthService, type ResilienceHealthStatus } from './resilience-health.service.js';

/**
 * One indicator entry, shaped like terminus's `HealthIndicatorResult` (declared here so terminus
 * stays an optional peer): `() => this.resilience.isHealthy()` type-checks in `health.check([...])`.
 * Terminus files it under the indicator's key: `{ resilience: { status, aggregate, circuitBreakers } }`.
 */
export interface ResilienceIndicatorDetails {
  status: 'up' | 'down';
  /** The status of `/health/resilience` (`up`, `degraded` or `down`); `status` is terminus's own field. */
  aggregate: ResilienceHealthStatus;
  circuitBreakers: Record<string, CircuitBreakerState>;
}

type TerminusModule = {
  HealthIndicatorService?: abstract new (...args: never[]) => {
    check(key: string): { up(data?: object): Record<string, unknown>; down(data?: object): Record<string, unknown> };
  };
  HealthCheckError?: new (message: string, causes: unknown) => Error;
};

let terminus: Promise<TerminusModule> | undefined;

/**
 * A `@nestjs/terminus` indicator reporting the breakers, so `/health` can include them:
 * `() => this.resilience.isHealthy('resilience')`. Down only when a critical breaker is open.
 * Terminus is an optional peer, imported on first use only.
 */
@Injectable()
export class ResilienceHealthIndicator {
  constructor(
    private readonly health: ResilienceHealthService,
    private readonly moduleRef: ModuleRef,
  ) {}

  async isHealthy(key = 'resilience'): Promise<Record<string, ResilienceIndicatorDetails>> {
    const lib = await loadTerminus();
    const report = this.health.report();
    // `status` is terminus's own field, and the key already names the indicator: the status of
    // `/health/resilience` goes under `aggregate` (a read: it moves no breaker).
    const details = {
      aggregate: report.status,
      circuitBreakers: Object.fromEntries(Object.entries(report.circuitBreakers).map(([name, entry]) => [name, entry.state])),
    };
    const down = report.status === 'down';
    const service = lib.HealthIndicatorService === undefined ? undefined : this.findService(lib.HealthIndicatorService);
    if (service !== undefined) {
      const session = service.check(key);
      return (down ? session.down(details) : session.up(details)) as Record<string, ResilienceIndicatorDetails>;
    }
    const result: Record<string, ResilienceIndicatorDetails> = { [key]: { status: down ? 'down' : 'up', ...details } };
    if (down && lib.HealthCheckError !== undefined) throw new lib.HealthCheckError('Critical circuit breaker open', result);
    return result;
  }

  private findService<S>(token: abstract new (...args: never[]) => S): S | undefined {
    try {
      return this.moduleRef.get(token as never, { strict: false }) as S;
    } catch {
      return undefined;
    }
  }
}

function loadTerminus(): Promise<TerminusModule> {
  terminus ??= import('@nestjs/terminus').then(
    (module) => module as unknown as TerminusModule,
    (error: unknown) => {
      terminus = undefined;
      throw new Error(`ResilienceHealthIndicator needs @nestjs/terminus: npm install @nestjs/terminus (${String(error)})`);
    },
  );
  return terminus;
}
