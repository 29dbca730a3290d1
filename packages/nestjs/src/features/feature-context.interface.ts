import type { DynamicModule, ModuleMetadata } from '@nestjs/common';
import type { MountedRoutes } from '../routes/mounted-routes.js';

/** What a feature module (live view, admin, metrics, OpenTelemetry) is built from. */
export interface FeatureContext {
  /** The module holding the engine, registries, health and options: every feature module imports it. */
  readonly core: DynamicModule;
  /** `forRootAsync`'s `imports`: visible to what features create (the guards of `live` and `admin`). */
  readonly imports: NonNullable<ModuleMetadata['imports']>;
  /** Bulwark's routes in this module definition (the health controller, what moves with it). */
  readonly routes: MountedRoutes;
}
