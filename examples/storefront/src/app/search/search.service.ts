import { Fallback } from '@bulwark/nestjs';
import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { CatalogService, type SearchHit } from '../catalog/catalog.service.js';

export interface SearchResults {
  query: string;
  results: SearchHit[];
  /** `ml` from the ranking service, `fallback` from the local text match. */
  rankedBy: 'ml' | 'fallback';
}

/** "Search results can fall back to a simpler algorithm if the ML ranking service is unavailable." */
@Injectable()
export class SearchService {
  /** `http`: the ranking service's `HttpService` (see `SearchModule`), which hedges slow reads. */
  constructor(
    private readonly catalog: CatalogService,
    private readonly http: HttpService,
  ) {}

  // A slow ranking service costs one timeout per search until 5 of them open the breaker; then
  // searches get the text match at once.
  @Fallback('textMatch')
  async search(query: string): Promise<SearchResults> {
    const { data } = await firstValueFrom(this.http.get<{ ids: string[] }>('/rank', { params: { q: query } }));
    return { query, results: this.catalog.pick(data.ids), rankedBy: 'ml' };
  }

  /** The fallback, called as `textMatch(query, error)`. */
  textMatch(query: string): SearchResults {
    return { query, results: this.catalog.textMatch(query), rankedBy: 'fallback' };
  }
}
