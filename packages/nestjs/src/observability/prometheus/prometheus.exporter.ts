import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../../resilience.constants.js';
import { ResilienceMetricSources } from '../metrics/policy-metric-sources.js';
import type { PrometheusRegistry, ResilienceMetricsOptions } from '../observability-options.interface.js';
import { metricsSettings, STATIC_METRICS_OPTIONS } from './metrics.settings.js';
import { importOptionalPeer, missingPeerError, PEER_IMPORTER, type PeerImporter } from '../optional-peer.js';
import { createPrometheusMetrics, type PromClientModule } from './prometheus-metrics.js';
import { claimRegistry, releaseRegistry } from './registry-claims.js';

export interface MetricsScrape {
  readonly contentType: string;
  readonly body: string;
}

/**
 * Registers Bulwark's Prometheus metrics when `metrics` is set: into `metrics.registry`, else
 * prom-client's default `register`. prom-client is imported only then (it is an optional peer).
 * Every value is read from the policies when the registry is scraped.
 */
@Injectable()
export class PrometheusExporter implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Bulwark');
  private readonly settings: ResilienceMetricsOptions | undefined;
  private registry: PrometheusRegistry | undefined = undefined;

  constructor(
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    @Inject(STATIC_METRICS_OPTIONS) staticMetrics: ResilienceMetricsOptions | false | null,
    private readonly sources: ResilienceMetricSources,
    @Inject(PEER_IMPORTER) private readonly importer: PeerImporter | null,
  ) {
    this.settings = metricsSettings(staticMetrics ?? undefined, options);
  }

  async onModuleInit(): Promise<void> {
    if (this.settings === undefined) return;
    const prom = await importOptionalPeer<PromClientModule>('prom-client', this.importer ?? undefined);
    if (prom === undefined) {
      throw missingPeerError('metrics', 'prom-client');
    }
    const registry = this.settings.registry ?? prom.register;
    this.sources.timeCalls();
    const replaced = claimRegistry(registry, this, createPrometheusMetrics(prom, this.sources));
    if (replaced) {
      this.logger.debug(
        "Bulwark's metrics were already registered in this prom-client registry by another application: this one reports now.",
      );
    }
    this.registry = registry;
  }

  onModuleDestroy(): void {
    if (this.registry !== undefined) releaseRegistry(this.registry, this);
    this.registry = undefined;
  }

  /** The registry's exposition text, or `undefined` when metrics are off. */
  async scrape(): Promise<MetricsScrape | undefined> {
    const registry = this.registry;
    if (registry === undefined) return undefined;
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
}
