import { Inject, Injectable, type CanActivate, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { DelegatingGuard } from '../routes/delegating.guard.js';

/** Runs `live.guard`, when given, for the live view's routes; `live: true` leaves them open. */
@Injectable()
export class ResilienceLiveGuard extends DelegatingGuard {
  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Inject(ModuleRef) moduleRef: ModuleRef,
  ) {
    super(moduleRef, 'live.guard');
  }

  protected configured(): Type<CanActivate> | CanActivate | undefined {
    const live = this.options.live;
    return typeof live === 'object' && live !== null ? live.guard : undefined;
  }

  protected unguarded(): boolean {
    return true;
  }
}
