import { type CanActivate, type ExecutionContext, type OnModuleInit, type Type } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { Observable } from 'rxjs';

/**
 * Runs a guard the application named in the module options (`admin.guard`, `live.guard`). The
 * guard is resolved once, at start-up: the application's own instance when the class is
 * registered as a provider (so it keeps its dependencies), else a new one created in
 * `ResilienceModule`'s scope, or the instance given.
 */
export abstract class DelegatingGuard implements CanActivate, OnModuleInit {
  private delegate: CanActivate | undefined;

  protected constructor(
    private readonly moduleRef: ModuleRef,
    /** Names the option in messages (`admin.guard`). */
    private readonly option: string,
  ) {}

  /** The guard the options name, if any. */
  protected abstract configured(): Type<CanActivate> | CanActivate | undefined;

  /** What the routes answer when no guard is configured. */
  protected abstract unguarded(): boolean;

  async onModuleInit(): Promise<void> {
    const guard = this.configured();
    if (guard === undefined) return;
    this.delegate = typeof guard === 'function' ? await this.instantiate(guard) : guard;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> | Observable<boolean> {
    if (this.delegate === undefined) return this.unguarded();
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
        `${this.option} ${guard.name} could not be created: register it as a provider of your application (its instance ` +
          `is then used, with its dependencies) or make its dependencies global. ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
