import type { Disposable, TimeoutPolicy } from '@bulwark/core';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type * as OpenTelemetryApi from '@opentelemetry/api';
import { ResilienceEventBus } from '../../events/resilience-event-bus.js';
import type { ResilienceModuleOptions } from '../../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../../resilience.constants.js';
import { ResilienceMetricSources } from '../metrics/policy-metric-sources.js';
import { importOptionalPeer, missingPeerError, PEER_IMPORTER, type PeerImporter } from '../optional-peer.js';
import { observePolicyMetrics } from './opentelemetry-metrics.js';
import { TimeoutRegistry } from '../../registries/timeout.registry.js';
import { recordSpanEvent, recordTimeoutSpanEvent } from './span-events.js';

type OpenTelemetryModule = Pick<typeof OpenTelemetryApi, 'metrics' | 'trace'>;

const DEFAULT_METER_NAME = '@bulwark/nestjs';

/**
 * OpenTelemetry instruments (observable, read at collection) on the Meter `@bulwark/nestjs`, and
 * span events on the active span. On by default when `@opentelemetry/api` can be imported; with no
 * SDK registered the API's no-op implementations make both free. `openTelemetry: true` (or an
 * object) requires the API, `false` turns it off.
 */
@Injectable()
export class OpenTelemetryExporter implements OnModuleInit, OnModuleDestroy {
  private stopMetrics: (() => void) | undefined;
  private spanEvents: Disposable[] = [];
  private readonly instrumentedTimeouts: TimeoutPolicy[] = [];

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    private readonly sources: ResilienceMetricSources,
    private readonly events: ResilienceEventBus,
    private readonly timeouts: TimeoutRegistry,
    @Inject(PEER_IMPORTER) private readonly importer: PeerImporter | null,
  ) {}

  async onModuleInit(): Promise<void> {
    const setting = this.options.openTelemetry;
    if (setting === false) return;
    const api = await importOptionalPeer<OpenTelemetryModule>('@opentelemetry/api', this.importer ?? undefined);
    if (api === undefined) {
      if (setting === undefined) return; // the default: on only when the API is installed
      throw missingPeerError('openTelemetry', '@opentelemetry/api');
    }
    const meterName = (typeof setting === 'object' ? setting.meterName : undefined) ?? DEFAULT_METER_NAME;
    // Meters are taken from the global MeterProvider now: register the SDK before creating the app.
    // Without an SDK the API's no-op provider answers: the instruments are free, and the
    // per-call work they would need (timing calls, capturing spans) is skipped.
    const meterProvider = api.metrics.getMeterProvider();
    if (!isNoop(meterProvider)) this.sources.timeCalls();
    this.stopMetrics = observePolicyMetrics(api.metrics.getMeter(meterName), this.sources);
    const trace = api.trace;
    const tracerProvider = trace.getTracerProvider() as { getDelegate?: () => unknown };
    if (isNoop(tracerProvider.getDelegate?.() ?? tracerProvider)) return;
    this.spanEvents.push(this.events.onEvent((event) => recordSpanEvent(trace, event)));
    // Timeouts expire from a shared timer, outside the timed-out call's context: each call's span
    // is captured when it starts (one getActiveSpan per timed call) and handed back on expiry.
    const instrument = (timeout: TimeoutPolicy): void => {
      timeout.captureContext = () => trace.getActiveSpan();
      this.instrumentedTimeouts.push(timeout);
      this.spanEvents.push(timeout.onTimeout((event) => recordTimeoutSpanEvent(event)));
    };
    for (const timeout of this.timeouts.list()) instrument(timeout);
    this.spanEvents.push(this.timeouts.onCreated(instrument));
  }

  onModuleDestroy(): void {
    this.stopMetrics?.();
    this.stopMetrics = undefined;
    for (const subscription of this.spanEvents.splice(0)) subscription.dispose();
    for (const timeout of this.instrumentedTimeouts.splice(0)) timeout.captureContext = undefined;
  }
}

/** The API's stand-ins when no SDK is registered (`NoopMeterProvider`, `NoopTracerProvider`). */
function isNoop(provider: unknown): boolean {
  const name = (provider as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name === 'NoopMeterProvider' || name === 'NoopTracerProvider';
}
