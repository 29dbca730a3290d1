import type { CircuitBreakerPolicy, KeyedCircuitBreakers } from '@bulwark/core';
import { BadRequestException, Header, HttpCode, Inject, Ip, Logger, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import { circuitBreakerHealth, ResilienceHealthService, type CircuitBreakerHealth } from '../health/resilience-health.service.js';
import { CircuitBreakerRegistry } from '../registries/circuit-breaker.registry.js';
import type { ResilienceAdminAction } from './admin-options.interface.js';
import { ResilienceAdminGuard } from './resilience-admin.guard.js';

/**
 * `POST <health.path>/:name/force-open | disable | reset`, mounted only with `admin: { guard }` and
 * always behind that guard. Answers the breaker's health entry after the change; every change is
 * logged (context `Bulwark`) with the requester's IP as the platform reports it (`req.ip`: behind a
 * proxy, configure Express's `trust proxy` or Fastify's `trustProxy`).
 *
 * On a family of per-key breakers the change applies to every key (and, for force-open and
 * disable, to keys created afterwards, until a reset); `?key=acme` changes that key only (force-open
 * and disable create it if need be; resetting a key that is not held is a 404).
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
  forceOpen(@Param('name') name: string, @Query('key') key: unknown, @Ip() ip: string | undefined): CircuitBreakerHealth {
    return this.change(name, key, 'force-open', ip);
  }

  @Post(':name/disable')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  disable(@Param('name') name: string, @Query('key') key: unknown, @Ip() ip: string | undefined): CircuitBreakerHealth {
    return this.change(name, key, 'disable', ip);
  }

  @Post(':name/reset')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  reset(@Param('name') name: string, @Query('key') key: unknown, @Ip() ip: string | undefined): CircuitBreakerHealth {
    return this.change(name, key, 'reset', ip);
  }

  private change(name: string, key: unknown, action: ResilienceAdminAction, ip: string | undefined): CircuitBreakerHealth {
    const target = this.target(name, key, action);
    const from = target.state;
    if (action === 'force-open') target.forceOpen();
    else if (action === 'disable') target.disable();
    else target.reset();
    const entry = typeof key === 'string' ? circuitBreakerHealth((target as CircuitBreakerPolicy).snapshot()) : this.health.breaker(name)!;
    const what = typeof key === 'string' ? `circuit breaker "${name}" key ${JSON.stringify(key)}` : `circuit breaker "${name}"`;
    this.logger.warn(`Admin ${action} of ${what} by ${ip || 'unknown address'}: ${from} -> ${entry.state}`);
    return entry;
  }

  private target(name: string, key: unknown, action: ResilienceAdminAction): CircuitBreakerPolicy | KeyedCircuitBreakers {
    const family = this.breakers.family(name);
    if (key === undefined) {
      const target = this.breakers.get(name) ?? family;
      if (target === undefined) throw new NotFoundException(`Unknown circuit breaker "${name}"`);
      return target;
    }
    // An empty or repeated `key` is a mistake, never "every key".
    if (typeof key !== 'string' || key === '') throw new BadRequestException('`key` must be one non-empty key');
    if (family === undefined) {
      if (this.breakers.get(name) !== undefined) throw new BadRequestException(`Circuit breaker "${name}" is not per key`);
      throw new NotFoundException(`Unknown circuit breaker "${name}"`);
    }
    const breaker = action === 'reset' ? family.peek(key) : family.get(key);
    if (breaker === undefined) throw new NotFoundException(`Unknown key of circuit breaker "${name}"`);
    return breaker;
  }
}
