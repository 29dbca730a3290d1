import { Module } from '@nestjs/common';
import { CatalogService } from './catalog.service.js';

/** The storefront's own product data, for the features that show products. */
@Module({ providers: [CatalogService], exports: [CatalogService] })
export class CatalogModule {}
