import { Controller, type Type } from '@nestjs/common';
import { createHealthController, type ResilienceHealthController } from '../health/resilience-health.controller.js';
import { DEFAULT_HEALTH_PATH, LOAD_SHEDDING_EXEMPT, OPENAPI_EXCLUDE_CONTROLLER } from '../resilience.constants.js';
import type { DefinitionOptions } from '../options/definition-options.js';

/**
 * Bulwark's routes in one module definition: the health controller (unless `health: false`) and
 * the controllers features mount beside it (live view, admin), which move with it when a
 * `forRootAsync` factory gives `health.path`. Unless `openApi: true`, each controller carries the
 * metadata `@ApiExcludeController()` sets, so `@nestjs/swagger` leaves them out of the
 * application's document without Bulwark depending on it. Load shedding never sheds them.
 */
export class MountedRoutes {
  /** The health controller, `undefined` with `health: false`. */
  readonly health: Type<ResilienceHealthController> | undefined;
  /** Where the health controller is mounted (what features mount beside it use). */
  readonly healthPath: string | undefined;
  private readonly besideHealth: Type[] = [];
  private readonly openApi: boolean;

  constructor(routes: DefinitionOptions) {
    this.openApi = routes.openApi === true;
    if (routes.health === false) {
      this.health = undefined;
      this.healthPath = undefined;
      return;
    }
    const path = routes.health?.path ?? DEFAULT_HEALTH_PATH;
    this.healthPath = path;
    this.health = this.own(createHealthController(path));
  }

  /**
   * A class of its own extending `base`, mounted at the health path (two applications may mount at
   * different paths), and moved with it.
   */
  mountBesideHealth<T>(base: Type<T>, name: string): Type<T> {
    if (this.healthPath === undefined) throw new Error(`${name} needs the health controller, but health is false`);
    const mounted = class extends (base as Type<object>) {} as Type<T>;
    Object.defineProperty(mounted, 'name', { value: name });
    Controller(this.healthPath)(mounted);
    this.besideHealth.push(mounted);
    return this.own(mounted);
  }

  /**
   * A controller of Bulwark's own, declared elsewhere (the metrics endpoint). Load shedding lets
   * its requests through uncounted: probes must answer under overload, and the live view's event
   * stream would hold a place (and teach the limit an hour's latency) for as long as it is open.
   */
  own<T>(controller: Type<T>): Type<T> {
    Reflect.defineMetadata(LOAD_SHEDDING_EXEMPT, true, controller);
    if (!this.openApi) Reflect.defineMetadata(OPENAPI_EXCLUDE_CONTROLLER, [true], controller);
    return controller;
  }

  /** Moves the health controller and those beside it to `path` (before routes are registered). */
  remount(path: string): void {
    if (this.health === undefined) return;
    for (const controller of [this.health, ...this.besideHealth]) Controller(path)(controller);
  }
}
