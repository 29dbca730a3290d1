import {
  Inject,
  Injectable,
  NotFoundException,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Observable } from 'rxjs';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';

/**
 * Runs the guard named by `admin.guard` for the admin routes. The guard is resolved once, at
 * start-up: the application's own instance when the class is registered as a provider (so it
 * keeps its dependencies), else a new one created in `ResilienceModule`'s scope. The admin routes
 * are mounted only with `admin`, so a guard is always there to run.
 */
@Injectable()
export class ResilienceAdminGuard implements CanActivate, OnModuleInit {
  private delegate: CanActivate | undefined;

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  async onModuleInit(): Promise<void> {
    const guard = this.options.admin?.guard;
    if (guard === undefined || this.options.health === false) return;
    this.delegate = typeof guard === 'function' ? await this.instantiate(guard) : guard;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    if (this.delegate === undefined) throw new NotFoundException();
    return this.delegate.canActivate(context);
  }

  private async instantiate(guard: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      // Not a provider of the application: build one.
    }
    try {
      return await this.moduleRef.create(guard);
    } catch (error) {
      throw new Error(
        `admin.guard ${guard.name} could not be created: register it as a provider of your application (its instance ` +
          `is then used, with its dependencies) or make its dependencies global. ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
