import { Get, Header, Headers, Inject, Res, ServiceUnavailableException, Sse, UseGuards, type MessageEvent, type OnModuleDestroy } from '@nestjs/common';
import { systemClock, wallTime } from '@bulwark/core';
import type { Observable } from 'rxjs';
import { ResilienceEventBus } from '../events/resilience-event-bus.js';
import { keyedCircuitBreakerSnapshot } from '../health/keyed-circuit-breaker-snapshot.js';
import { healthStatus, ResilienceHealthService } from '../health/resilience-health.service.js';
import { InboundAdmission } from '../load-shedding/inbound-admission.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { toDashboardData, type ResilienceDashboardData } from './dashboard-data.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard.page.js';
import { LiveEventStream, type StreamResponse } from './live-event-stream.js';
import { ResilienceLiveGuard } from './resilience-live.guard.js';

/**
 * The live view, mounted at the health controller's path (and listed before it, so these static
 * routes win over its `/:name`):
 * - `GET <health.path>/events`: Server-Sent Events, the last 100 events replayed, then live ones;
 * - `GET <health.path>/dashboard`: a self-contained page showing every breaker, updated live;
 * - `GET <health.path>/dashboard/data`: what the page shows, as JSON (with the bulkheads and load
 *   shedding, when there are any).
 */
@UseGuards(ResilienceLiveGuard)
export class ResilienceLiveController implements OnModuleDestroy {
  private readonly stream: LiveEventStream;
  private readonly exposeKeys: boolean;
  private readonly now: () => number;

  constructor(
    @Inject(ResilienceEventBus) bus: ResilienceEventBus,
    @Inject(CircuitBreakerRegistry) private readonly breakers: CircuitBreakerRegistry,
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    @Inject(ResilienceHealthService) private readonly health: ResilienceHealthService,
    @Inject(InboundAdmission) private readonly admission: InboundAdmission,
  ) {
    this.exposeKeys = options.exposeKeys === true;
    this.stream = new LiveEventStream(bus, options.clock ?? systemClock, undefined, this.exposeKeys);
    const clock = options.clock ?? systemClock;
    // Snapshots carry wall-clock times; the countdown is measured against the same scale.
    this.now = () => wallTime(clock, clock.now())!;
  }

  @Sse('events')
  events(
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res({ passthrough: true }) response: { raw?: StreamResponse } & StreamResponse,
  ): Observable<MessageEvent> {
    if (this.stream.full) throw new ServiceUnavailableException('Too many live event streams are open');
    // Express hands the Node response itself; Fastify's reply holds it as `raw`.
    return this.stream.observe(lastEventId, response.raw ?? response);
  }

  @Get('dashboard')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  dashboard(): string {
    return DASHBOARD_HTML;
  }

  @Get('dashboard/data')
  @Header('Cache-Control', 'no-store')
  dashboardData(): ResilienceDashboardData {
    // One snapshot per breaker serves the cards and the status. Reading moves nothing: a breaker
    // due a trial shows `open` with a countdown of 0 until a call starts the trial.
    const snapshots = this.breakers.snapshots();
    const families = this.breakers.families().map(keyedCircuitBreakerSnapshot);
    const status = healthStatus([...snapshots, ...families.map((family) => family.snapshot)]);
    const data = toDashboardData(snapshots, status, this.now(), families, this.exposeKeys);
    const bulkheads = this.health.bulkheads();
    if (bulkheads !== undefined) data.bulkheads = bulkheads;
    const shedding = this.admission.controller?.snapshot();
    if (shedding !== undefined) data.loadShedding = shedding;
    return data;
  }

  /** Ends open event streams, so they never hold the HTTP server's shutdown. */
  onModuleDestroy(): Promise<void> {
    return this.stream.close();
  }
}
