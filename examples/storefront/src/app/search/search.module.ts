import { Module } from '@nestjs/common';
import { CatalogModule } from '../catalog/catalog.module.js';
import { downstreamHttpModule } from '../resilience.config.js';
import { SearchController } from './search.controller.js';
import { SearchService } from './search.service.js';

/** Search: the ML ranking service's order, or a local text match while it is unavailable. */
@Module({
  imports: [
    CatalogModule,
    // SearchService's HttpService: it calls ranking.
    downstreamHttpModule('ranking'),
  ],
  controllers: [SearchController],
  providers: [SearchService],
})
export class SearchModule {}
