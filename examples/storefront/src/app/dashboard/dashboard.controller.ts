import { Controller, Get } from '@nestjs/common';
import { MetricsService, type MetricsReading, type ShopMetrics } from './metrics.service.js';

export interface DashboardView {
  source: MetricsReading['source'];
  /** Age of the figures (now minus when the metrics service computed them); null without figures. */
  ageMs: number | null;
  metrics: Omit<ShopMetrics, 'generatedAt'> | null;
  generatedAt: string | null;
}

@Controller('dashboard')
export class DashboardController {
  constructor(private readonly metricsService: MetricsService) {}

  @Get()
  async show(): Promise<DashboardView> {
    const { metrics, source } = await this.metricsService.current();
    if (metrics === null) return { source, ageMs: null, metrics: null, generatedAt: null };
    const { generatedAt, ...figures } = metrics;
    return { source, ageMs: Math.max(0, Date.now() - generatedAt), metrics: figures, generatedAt: new Date(generatedAt).toISOString() };
  }
}
