import { Header, HttpCode, Inject, Ip, Logger, NotFoundException, Param, Post, UseGuards } from '@nestjs/common';
import { ResilienceHealthService, type CircuitBreakerHealth } from '../health/resilience-health.service.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import type { ResilienceAdminAction } from './live-options.interface.js';
import { ResilienceAdminGuard } from './resilience-admin.guard.js';

/**
 * `POST <health.path>/:name/force-open | disable | reset`, mounted only with `admin: { guard }` and
 * always behind that guard. Answers the breaker's health entry after the change; every change is
 * logged (context `Bulwark`) with the requester's IP as the platform reports it (`req.ip`: behind a
 * proxy, configure Express's `trust proxy` or Fastify's `trustProxy`).
 */
@UseGuards(ResilienceAdminGuard)
export class ResilienceAdminController {
  private readonly logger = new Logger('Bulwark');

  constructor(
    @Inject(CircuitBreakerRegistry) private readonly breakers: CircuitBreakerRegistry,
    @Inject(ResilienceHealthService) private readonly health: ResilienceHealthService,
  ) {}

  @Post(':name/force-open')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  forceOpen(@Param('name') name: string, @Ip() ip: string | undefined): CircuitBreakerHealth {
    return this.change(name, 'force-open', ip);
  }

  @Post(':name/disable')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  disable(@Param('name') name: string, @Ip() ip: string | undefined): CircuitBreakerHealth {
    return this.change(name, 'disable', ip);
  }

  @Post(':name/reset')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  reset(@Param('name') name: string, @Ip() ip: string | undefined): CircuitBreakerHealth {
    return this.change(name, 'reset', ip);
  }

  private change(name: string, action: ResilienceAdminAction, ip: string | undefined): CircuitBreakerHealth {
    const breaker = this.breakers.get(name);
    if (breaker === undefined) throw new NotFoundException(`Unknown circuit breaker "${name}"`);
    const from = breaker.state;
    if (action === 'force-open') breaker.forceOpen();
    else if (action === 'disable') breaker.disable();
    else breaker.reset();
    const entry = this.health.breaker(name)!;
    this.logger.warn(`Admin ${action} of circuit breaker "${name}" by ${ip || 'unknown address'}: ${from} -> ${entry.state}`);
    return entry;
  }
}
