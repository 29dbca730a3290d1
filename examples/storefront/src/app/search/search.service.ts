import { CircuitBreaker, Fallback, Retry, Timeout, currentSignal } from '@bulwark/nestjs';
import { Inject, Injectable } from '@nestjs/common';
import { CatalogService, type SearchHit } from '../catalog/catalog.service.js';
import { readJson } from '../downstream.error.js';
import { STOREFRONT_OPTIONS, type StorefrontOptions } from '../storefront.options.js';

export interface SearchResults {
  query: string;
  results: SearchHit[];
  /** `ml` from the ranking service, `fallback` from the local text match. */
  rankedBy: 'ml' | 'fallback';
}

/** "Search results can fall back to a simpler algorithm if the ML ranking service is unavailable." */
@Injectable()
export class SearchService {
  private readonly baseUrl: string;

  constructor(
    private readonly catalog: CatalogService,
    @Inject(STOREFRONT_OPTIONS) options: StorefrontOptions,
  ) {
    this.baseUrl = options.downstreams.ranking;
  }

  // A slow ranking service costs one 3 s timeout per search until 5 of them open the breaker;
  // then searches get the text match at once. Timeouts are not retried (see isTransientFailure).
  @Fallback('textMatch')
  @Retry('ranking')
  @CircuitBreaker('ranking')
  @Timeout('internal')
  async search(query: string): Promise<SearchResults> {
    const response = await fetch(`${this.baseUrl}/rank?q=${encodeURIComponent(query)}`, { signal: currentSignal() });
    const body = await readJson<{ ids: string[] }>('ranking', response);
    return { query, results: this.catalog.pick(body.ids), rankedBy: 'ml' };
  }

  /** The fallback, called as `textMatch(query, error)`. */
  textMatch(query: string): SearchResults {
    return { query, results: this.catalog.textMatch(query), rankedBy: 'fallback' };
  }
}
