import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { SearchService, type SearchResults } from './search.service.js';

@Controller('search')
export class SearchController {
  constructor(private readonly searchService: SearchService) {}

  @Get()
  async search(@Query('q') q: unknown): Promise<SearchResults> {
    if (typeof q !== 'string' || q.trim() === '') throw new BadRequestException('Give a query: /search?q=lamp');
    return this.searchService.search(q.trim());
  }
}
