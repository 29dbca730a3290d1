import type { CanActivate, Type } from '@nestjs/common';

/**
 * The admin endpoints, `POST <health.path>/:name/force-open | disable | reset`. Off unless given,
 * and never mounted without a guard: they change what the application does under failure.
 */
export interface ResilienceAdminOptions {
  /**
   * The Nest guard that decides who may change a breaker: a class implementing `CanActivate`
   * (taken from the application's providers when it is registered as one, otherwise created with
   * the dependencies visible to `ResilienceModule`), or an instance. A guard that denies gives 403.
   */
  guard: Type<CanActivate> | CanActivate;
}

/** What an admin endpoint does to a breaker. */
export type ResilienceAdminAction = 'force-open' | 'disable' | 'reset';
