import type { Type } from '@nestjs/common';
import { createHealthController, type ResilienceHealthController } from '../health/resilience-health.controller.js';
import { withLiveControllers } from '../live/live-controllers.js';
import { observabilityControllers } from '../observability/observability.providers.js';
import { DEFAULT_HEALTH_PATH, OPENAPI_EXCLUDE_CONTROLLER } from '../resilience.constants.js';
import type { RouteOptions } from './route-options.js';

/** The controllers one module definition mounts, and its health controller (to move it, with `forRootAsync`). */
export interface MountedControllers {
  readonly controllers: Type[];
  readonly health: Type<ResilienceHealthController> | undefined;
}

/**
 * Exactly the controllers the route options ask for: health (unless `health: false`), the live
 * view beside it (only with `live: true` or `{ guard }`), the admin routes (only with `admin`), and the metrics
 * endpoint (only with `metrics.path`). Unless `openApi: true`, each carries the metadata
 * `@ApiExcludeController()` sets, so `@nestjs/swagger` leaves them out of the application's
 * document without Bulwark depending on it.
 */
export function mountedControllers(routes: RouteOptions): MountedControllers {
  const controllers: Type[] = [];
  let health: Type<ResilienceHealthController> | undefined;
  if (routes.health !== false) {
    const path = routes.health?.path ?? DEFAULT_HEALTH_PATH;
    health = createHealthController(path);
    controllers.push(...withLiveControllers(health, path, { live: routes.live !== undefined && routes.live !== false, admin: routes.admin !== undefined }));
  }
  controllers.push(...observabilityControllers(routes.metrics));
  if (routes.openApi !== true) for (const controller of controllers) Reflect.defineMetadata(OPENAPI_EXCLUDE_CONTROLLER, [true], controller);
  return { controllers, health };
}
