/** What protects the storefront's pricing call: nothing, a static bulkhead, or an adaptive one left untuned. */
export type OverloadVariant = 'no-limit' | 'static' | 'adaptive';

/** In the order the tables list them. */
export const OVERLOAD_VARIANTS: readonly OverloadVariant[] = ['no-limit', 'static', 'adaptive'];
