import type { CatalogProduct } from './catalog.data.js';

/** Lower-case words of a query. */
export function tokenize(query: string): string[] {
  return query
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((term) => term.length > 0);
}

/** The text a query is matched against: name, description and tags. */
export function searchableText(product: CatalogProduct): string {
  return `${product.name} ${product.description} ${product.tags.join(' ')}`.toLowerCase();
}
