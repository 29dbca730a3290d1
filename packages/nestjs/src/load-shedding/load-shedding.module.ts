import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { FeatureContext } from '../features/feature-context.interface.js';
import { LoadSheddingGuard } from './load-shedding.guard.js';

/** Inbound load shedding (`loadShedding` option): the global guard, registered only with the option. */
@Module({})
export class ResilienceLoadSheddingModule {
  static register(context: FeatureContext): DynamicModule {
    return {
      module: ResilienceLoadSheddingModule,
      imports: [context.core],
      providers: [{ provide: APP_GUARD, useClass: LoadSheddingGuard }],
    };
  }
}
