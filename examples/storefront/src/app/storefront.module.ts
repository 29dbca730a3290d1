import { ResilienceModule } from '@bulwark/nestjs';
import { Module, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BreakerStateRelay } from './breaker-state.relay.js';
import { CatalogService } from './catalog/catalog.service.js';
import { DashboardController } from './dashboard/dashboard.controller.js';
import { MetricsClient } from './dashboard/metrics.client.js';
import { HomeController } from './home.controller.js';
import { PricingClient } from './products/pricing.client.js';
import { ProductsController } from './products/products.controller.js';
import { storefrontResilienceOptions } from './resilience.config.js';
import { SearchController } from './search/search.controller.js';
import { SearchService } from './search/search.service.js';
import { ARTICLE_TIMINGS, STOREFRONT_OPTIONS, type StorefrontOptions, type StorefrontTimings } from './storefront.options.js';

@Module({})
export class StorefrontModule {
  static forRoot(options: StorefrontOptions): DynamicModule {
    const timings: StorefrontTimings = { ...ARTICLE_TIMINGS, ...options.timings };
    return {
      module: StorefrontModule,
      imports: [ResilienceModule.forRoot(storefrontResilienceOptions(timings, options))],
      controllers: [HomeController, ProductsController, SearchController, DashboardController],
      providers: [
        { provide: STOREFRONT_OPTIONS, useValue: options },
        CatalogService,
        PricingClient,
        SearchService,
        MetricsClient,
        BreakerStateRelay,
      ],
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
