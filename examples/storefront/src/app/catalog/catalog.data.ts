/** A product as the storefront's own catalog knows it: everything but the price. */
export interface CatalogProduct {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly tags: readonly string[];
}

/**
 * The example's catalog. The storefront owns it (no network call to read it); the ranking
 * downstream ranks the same products, and the pricing downstream prices them.
 */
export const CATALOG: readonly CatalogProduct[] = Object.freeze([
  { id: '1', name: 'Oak desk lamp', description: 'Warm LED reading lamp on a solid oak base', tags: ['lamp', 'lighting', 'oak', 'desk'] },
  { id: '2', name: 'Walnut writing desk', description: 'Compact desk in oiled walnut with one drawer', tags: ['desk', 'walnut', 'office'] },
  { id: '3', name: 'Ergonomic office chair', description: 'Mesh chair with lumbar support for long desk days', tags: ['chair', 'office', 'desk'] },
  { id: '4', name: 'Standing desk frame', description: 'Electric sit-stand frame, fits any desk top', tags: ['desk', 'office', 'standing'] },
  { id: '5', name: 'Brass floor lamp', description: 'Arc floor lamp in brushed brass with a linen shade', tags: ['lamp', 'lighting', 'brass'] },
  { id: '6', name: 'Oak bookshelf', description: 'Five-shelf bookcase in white oak', tags: ['shelf', 'oak', 'storage'] },
  { id: '7', name: 'Linen armchair', description: 'Deep armchair in washed linen, oak legs', tags: ['chair', 'linen', 'oak', 'living'] },
  { id: '8', name: 'Desk organiser set', description: 'Oak trays and pen pots to tidy any desk', tags: ['desk', 'oak', 'storage', 'office'] },
]);
