import { Controller, Get, Header, Inject, NotFoundException, Param, Res, type Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ResilienceHealthService, type CircuitBreakerHealth, type ResilienceHealthReport } from './resilience-health.service.js';

/**
 * `GET <health.path>`: every breaker and the aggregate status, 200 for `up`/`degraded` (an open
 * breaker to an optional dependency must not get the pod restarted), 503 for `down`.
 * `GET <health.path>/:name`: one breaker's entry, 404 for an unknown name. A family of per-key
 * breakers is one entry under its name, summing its keys up, with each key's entry in `keys`.
 */
export class ResilienceHealthController {
  constructor(
    @Inject(ResilienceHealthService) private readonly health: ResilienceHealthService,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  @Header('Cache-Control', 'no-store')
  report(@Res({ passthrough: true }) response: unknown): ResilienceHealthReport {
    const report = this.health.report();
    if (report.status === 'down') this.adapterHost.httpAdapter.status(response, 503);
    return report;
  }

  @Get(':name')
  @Header('Cache-Control', 'no-store')
  breaker(@Param('name') name: string): CircuitBreakerHealth {
    const entry = this.health.breaker(name);
    if (entry === undefined) throw new NotFoundException(`Unknown circuit breaker "${name}"`);
    return entry;
  }
}

/** A controller class of its own per module definition, mounted at `path`. */
export function createHealthController(path: string): Type<ResilienceHealthController> {
  class MountedResilienceHealthController extends ResilienceHealthController {}
  Object.defineProperty(MountedResilienceHealthController, 'name', { value: 'ResilienceHealthController' });
  Controller(path)(MountedResilienceHealthController);
  return MountedResilienceHealthController;
}
