import type { ResilientFetch } from '@bulwark/http';
import { Fallback } from '@bulwark/nestjs';
import { Inject, Injectable } from '@nestjs/common';
import { readJson } from '../downstream.error.js';
import { METRICS_MAX_STALENESS_MS, STOREFRONT_OPTIONS, type StorefrontOptions } from '../storefront.options.js';

export interface ShopMetrics {
  /** When the metrics service computed these figures (epoch ms). */
  generatedAt: number;
  ordersPerMinute: number;
  activeCarts: number;
  conversionRate: number;
}

export interface MetricsReading {
  metrics: ShopMetrics | null;
  source: 'live' | 'stale' | 'unavailable';
}

/** Injection token of the metrics service's `resilientFetch` (see `DashboardModule`). */
export const METRICS_FETCH = Symbol('storefront:metrics-fetch');

/** "A dashboard can display slightly stale data rather than an error page." */
@Injectable()
export class MetricsService {
  private readonly baseUrl: string;

  constructor(
    @Inject(METRICS_FETCH) private readonly fetch: ResilientFetch,
    @Inject(STOREFRONT_OPTIONS) options: StorefrontOptions,
  ) {
    this.baseUrl = options.downstreams.metrics;
  }

  // A metrics service that hangs is the outage the article warns about ("every network call needs
  // a timeout"): here it costs one attempt's timeout per call until the breaker opens, then none.
  @Fallback({
    staleIfError: {
      maxAge: METRICS_MAX_STALENESS_MS,
      map: (reading: MetricsReading): MetricsReading => ({ ...reading, source: 'stale' }),
    },
    method: 'noMetrics',
  })
  async current(): Promise<MetricsReading> {
    const response = await this.fetch(`${this.baseUrl}/metrics`);
    return { metrics: await readJson<ShopMetrics>('metrics', response), source: 'live' };
  }

  /** No metrics fetched in the last 5 minutes and the service is failing. */
  noMetrics(): MetricsReading {
    return { metrics: null, source: 'unavailable' };
  }
}
