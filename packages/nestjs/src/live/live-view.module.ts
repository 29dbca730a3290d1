import { Module, type DynamicModule } from '@nestjs/common';
import type { FeatureContext } from '../features/feature-context.interface.js';
import { ResilienceLiveController } from './resilience-live.controller.js';

/**
 * The live view (`live: true` or `{ guard }`): the event stream and the dashboard, mounted beside
 * the health controller, which this module declares after them (Express matches routes in
 * registration order, and `events` / `dashboard` must win over `<health.path>/:name`; Fastify
 * prefers static routes anyway).
 */
@Module({})
export class ResilienceLiveViewModule {
  static register(context: FeatureContext): DynamicModule {
    const { routes } = context;
    const live = routes.mountBesideHealth(ResilienceLiveController, 'ResilienceLiveController');
    return {
      module: ResilienceLiveViewModule,
      imports: [context.core, ...context.imports],
      controllers: [live, routes.health!],
    };
  }
}
