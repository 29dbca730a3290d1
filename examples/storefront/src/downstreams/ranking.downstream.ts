import { CATALOG } from '../app/catalog/catalog.data.js';
import { searchableText, tokenize } from '../app/catalog/catalog-text.js';
import type { DownstreamHandler } from './chaos-server.js';

/** What the "model" learned from clicks: the reason its order differs from a text match. */
const POPULARITY: Readonly<Record<string, number>> = { '1': 0.9, '2': 0.4, '3': 0.8, '4': 0.7, '5': 0.5, '6': 0.3, '7': 0.6, '8': 0.2 };

/**
 * The ML ranking service, as far as the storefront can tell: `GET /rank?q=` -> `{ ids, model }`,
 * products matching any term, ordered by term matches weighted with learned popularity.
 */
export const rankingHandler: DownstreamHandler = (url) => {
  if (url.pathname !== '/rank') return { status: 404, body: { error: 'try GET /rank?q=' } };
  const terms = tokenize(url.searchParams.get('q') ?? '');
  const ids = CATALOG.map((product) => {
    const text = searchableText(product);
    const matches = terms.filter((term) => text.includes(term)).length;
    return { id: product.id, score: matches === 0 ? 0 : matches + 2 * (POPULARITY[product.id] ?? 0) };
  })
    .filter(({ score }) => score > 0)
    .sort((a, b) => b.score - a.score)
    .map(({ id }) => id);
  return { status: 200, body: { ids, model: 'learning-to-rank v7' } };
};
