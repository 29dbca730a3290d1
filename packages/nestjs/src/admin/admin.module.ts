import { Module, type DynamicModule } from '@nestjs/common';
import type { FeatureContext } from '../features/feature-context.interface.js';
import { ResilienceAdminController } from './resilience-admin.controller.js';

/** The admin routes (`admin: { guard }`), `POST <health.path>/:name/force-open | disable | reset`. */
@Module({})
export class ResilienceAdminModule {
  static register(context: FeatureContext): DynamicModule {
    return {
      module: ResilienceAdminModule,
      imports: [context.core, ...context.imports],
      controllers: [context.routes.mountBesideHealth(ResilienceAdminController, 'ResilienceAdminController')],
    };
  }
}
