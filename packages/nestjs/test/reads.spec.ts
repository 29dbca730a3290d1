import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import request from 'supertest';
import { FakeClock, type CircuitBreakerPolicy, type CircuitBreakerStateChange } from '@bulwark/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  ResilienceEventBus,
  ResilienceHealthIndicator,
  ResilienceModule,
  type ResilienceDashboardData,
  type ResilienceEvent,
  type ResilienceStore,
} from '@bulwark/nestjs';
import { bootApp, CapturingLogger, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

@Injectable()
class Payments {
  @CircuitBreaker('payments')
  async pay(outcome: Promise<string>): Promise<string> {
    return outcome;
  }
}

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly resilience: ResilienceHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.resilience.isHealthy('resilience')]);
  }
}

/** A shared store whose syncs count the trial leases they are asked for (and grant them). */
class LeaseCountingStore implements ResilienceStore {
  leases = 0;
  attachCircuitBreaker(breaker: CircuitBreakerPolicy): void {
    breaker.attachSync({ recordOutcome: () => undefined, acquireTrial: () => (this.leases++, true) });
  }
  detachCircuitBreaker(): void {}
  async close(): Promise<void> {}
}

/** A reader collecting on demand, as an exporter would on its interval. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: reading a breaker has no side effects', (platform: Platform) => {
  const reader = new ManualReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  beforeAll(() => {
    metrics.setGlobalMeterProvider(meterProvider);
  });
  afterAll(async () => {
    metrics.disable();
    await meterProvider.shutdown();
  });

  it('health, one entry, the dashboard data, a Prometheus scrape, terminus and OpenTelemetry leave an open breaker due a trial open', async () => {
    const clock = new FakeClock(START);
    const store = new LeaseCountingStore();
    const logger = new CapturingLogger();
    app = await bootApp(
      platform,
      {
        imports: [
          TerminusModule.forRoot({ logger: false }),
          ResilienceModule.forRoot({
            live: true,
            clock,
            store,
            logging: { rateLimitMs: 0 },
            metrics: { registry: new Registry(), path: 'metrics' },
            circuitBreakers: { payments: { failureThreshold: 1, recoveryTimeout: 10_000, critical: true } },
          }),
        ],
        controllers: [HealthController],
        providers: [Payments],
      },
      { logger },
    );
    const server = app.getHttpServer();
    const payments = app.get(Payments);
    const breaker = app.get(CircuitBreakerRegistry).get('payments')!;
    await expect(payments.pay(Promise.reject(new Error('down')))).rejects.toThrow('down');
    await clock.tickAsync(12_000);

    const changes: CircuitBreakerStateChange[] = [];
    breaker.onStateChange((change) => changes.push(change));
    const events: ResilienceEvent[] = [];
    app.get(ResilienceEventBus).onEvent((event) => events.push(event));
    const logged = logger.messages.length;

    for (let round = 0; round < 2; round++) {
      const health = await request(server).get('/health/resilience').expect(503);
      expect(health.body.circuitBreakers.payments).toMatchObject({ state: 'open', openedAt: iso(START), nextAttemptAt: iso(START + 10_000) });
      // A trial is due: nextAttemptAt is in the past.
      expect(Date.parse(health.body.circuitBreakers.payments.nextAttemptAt)).toBeLessThan(START + 12_000);
      await request(server).get('/health/resilience/payments').expect(200, health.body.circuitBreakers.payments);

      const data = (await request(server).get('/health/resilience/dashboard/data').expect(200)).body as ResilienceDashboardData;
      expect(data.status).toBe('down');
      expect(data.circuitBreakers[0]).toMatchObject({ name: 'payments', state: 'open', nextAttemptInMs: 0 });

      const scrape = (await request(server).get('/metrics').expect(200)).text;
      expect(scrape).toContain('bulwark_circuit_breaker_state{name="payments",state="open"} 1');
      expect(scrape).toContain('bulwark_circuit_breaker_state{name="payments",state="half-open"} 0');

      const terminus = await request(server).get('/health').expect(503);
      expect(terminus.body.error.resilience).toEqual({ status: 'down', aggregate: 'down', circuitBreakers: { payments: 'open' } });

      const { resourceMetrics } = await reader.collect();
      const gauge = resourceMetrics.scopeMetrics
        .flatMap((scope) => scope.metrics)
        .find((metric) => metric.descriptor.name === 'bulwark_circuit_breaker_state')!;
      const current = gauge.dataPoints.filter((point) => point.value === 1).map((point) => point.attributes['state']);
      expect(current).toEqual(['open']);
    }

    expect(breaker.state).toBe('open');
    expect(changes).toEqual([]);
    expect(events).toEqual([]);
    expect(logger.messages.slice(logged)).toEqual([]);
    expect(store.leases).toBe(0);

    // The next call starts the trial: it alone asks for the lease and moves the breaker.
    let settle!: (value: string) => void;
    const trial = payments.pay(new Promise<string>((resolve) => (settle = resolve)));
    expect(store.leases).toBe(1);
    expect(changes.map(({ from, to }) => `${from}->${to}`)).toEqual(['open->half-open']);
    const halfOpen = await request(server).get('/health/resilience').expect(200);
    expect(halfOpen.body).toMatchObject({ status: 'degraded', circuitBreakers: { payments: { state: 'half-open', nextAttemptAt: null } } });
    settle('paid');
    await expect(trial).resolves.toBe('paid');
    expect(breaker.state).toBe('closed');
  });
});
