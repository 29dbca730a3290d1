import { Inject, Injectable, NotFoundException, type CanActivate, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { DelegatingGuard } from '../routes/delegating.guard.js';

/**
 * Runs the guard named by `admin.guard` for the admin routes. They are mounted only with `admin`,
 * so a guard is always there to run; without one they would answer 404, never unguarded.
 */
@Injectable()
export class ResilienceAdminGuard extends DelegatingGuard {
  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Inject(ModuleRef) moduleRef: ModuleRef,
  ) {
    super(moduleRef, 'admin.guard');
  }

  protected configured(): Type<CanActivate> | CanActivate | undefined {
    return this.options.health === false ? undefined : this.options.admin?.guard;
  }

  protected unguarded(): boolean {
    throw new NotFoundException();
  }
}
