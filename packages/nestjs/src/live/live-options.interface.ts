import type { CanActivate, Type } from '@nestjs/common';

/**
 * The live view (`GET <health.path>/events`, `/dashboard`, `/dashboard/data`), when it should only
 * be seen by some: `live: { guard }` runs the guard (as `admin.guard` does) before each of its routes.
 */
export interface ResilienceLiveOptions {
  /** A Nest guard class (`CanActivate`) or instance; a guard that denies gives 403. */
  guard?: Type<CanActivate> | CanActivate;
}
