import { Controller, Get, Inject, NotFoundException, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { PrometheusExporter } from './prometheus.exporter.js';

/**
 * `GET <metrics.path>`: the registry's text with the registry's content type. The response is
 * written directly, so application-wide interceptors that reshape JSON responses leave it alone.
 */
export class ResilienceMetricsController {
  constructor(
    @Inject(PrometheusExporter) private readonly exporter: PrometheusExporter,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  async scrape(@Res() response: unknown): Promise<void> {
    const scrape = await this.exporter.scrape();
    // `metrics: false` returned by an async options factory: the route exists but answers 404.
    if (scrape === undefined) throw new NotFoundException();
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', scrape.contentType);
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.reply(response, scrape.body, 200);
  }
}

/** A controller class of its own per module definition, mounted at `path`. */
export function createMetricsController(path: string): Type<ResilienceMetricsController> {
  class MountedResilienceMetricsController extends ResilienceMetricsController {}
  Object.defineProperty(MountedResilienceMetricsController, 'name', { value: 'ResilienceMetricsController' });
  Controller(path)(MountedResilienceMetricsController);
  return MountedResilienceMetricsController;
}
