import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { downstreamHttpModule } from '../resilience.config.js';
import { PricingService } from './pricing.service.js';
import { ProductsController } from './products.controller.js';

/** Product pages: the catalog's data with a price from the pricing service. */
@Module({
  imports: [
    CatalogModule,
    // PricingService's HttpService: it calls pricing.
    downstreamHttpModule('pricing'),
  ],
  controllers: [ProductsController],
  providers: [PricingService],
})
export class ProductsModule {}
