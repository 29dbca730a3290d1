import { ResilienceModule } from '@bulwark/nestjs';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BreakerStateRelay } from './breaker-state.relay.js';
import { DashboardModule } from './dashboard/dashboard.module.js';
import { HomeController } from './home.controller.js';
import { ProductsModule } from './products/products.module.js';
import { storefrontResilienceOptions } from './resilience.config.js';
import { SearchModule } from './search/search.module.js';
import { STOREFRONT_OPTIONS, storefrontTimings, type StorefrontOptions } from './storefront.options.js';

@Module({})
export class StorefrontModule {
  /** Global, as a config module is: the feature modules read the downstreams' URLs and the timings from `STOREFRONT_OPTIONS`. */
  static forRoot(options: StorefrontOptions): DynamicModule {
    return {
      module: StorefrontModule,
      global: true,
      imports: [ResilienceModule.forRoot(storefrontResilienceOptions(storefrontTimings(options), options)), ProductsModule, SearchModule, DashboardModule],
      controllers: [HomeController],
      providers: [{ provide: STOREFRONT_OPTIONS, useValue: options }, BreakerStateRelay],
      exports: [STOREFRONT_OPTIONS],
    };
  }
}

/** Creates (does not start) the storefront application. */
export async function createStorefrontApp(options: StorefrontOptions): Promise<INestApplication> {
  // abortOnError: false, so a bad option rejects here instead of aborting the process.
  return NestFactory.create(StorefrontModule.forRoot(options), {
    abortOnError: false,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
}
