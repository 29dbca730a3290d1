import { Injectable } from '@nestjs/common';
import { searchableText, tokenize } from './catalog-text.js';
import { CATALOG, type CatalogProduct } from './catalog.data.js';

/** A product in search results. */
export interface SearchHit {
  readonly id: string;
  readonly name: string;
}

/** The storefront's own product data: local, so it never needs a fallback. */
@Injectable()
export class CatalogService {
  private readonly byId = new Map(CATALOG.map((product) => [product.id, product]));

  all(): readonly CatalogProduct[] {
    return CATALOG;
  }

  find(id: string): CatalogProduct | undefined {
    return this.byId.get(id);
  }

  /** The products named by `ids`, in that order; ids the catalog does not know are skipped. */
  pick(ids: readonly string[]): SearchHit[] {
    const hits: SearchHit[] = [];
    for (const id of ids) {
      const product = this.byId.get(id);
      if (product !== undefined) hits.push(toHit(product));
    }
    return hits;
  }

  /**
   * The "simpler algorithm" of the article: products containing every query term in their name,
   * description or tags, those with more terms in the name first, then by name. No popularity, no
   * personalisation, but always available.
   */
  textMatch(query: string): SearchHit[] {
    const terms = tokenize(query);
    if (terms.length === 0) return [];
    return CATALOG.map((product) => ({ product, text: searchableText(product), name: product.name.toLowerCase() }))
      .filter(({ text }) => terms.every((term) => text.includes(term)))
      .map(({ product, name }) => ({ product, inName: terms.filter((term) => name.includes(term)).length }))
      .sort((a, b) => b.inName - a.inName || a.product.name.localeCompare(b.product.name))
      .map(({ product }) => toHit(product));
  }
}

function toHit(product: CatalogProduct): SearchHit {
  return { id: product.id, name: product.name };
}
