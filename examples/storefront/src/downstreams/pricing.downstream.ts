import type { DownstreamHandler } from './chaos-server.js';

const PRICES: Readonly<Record<string, number>> = {
  '1': 89,
  '2': 640,
  '3': 329,
  '4': 449,
  '5': 219,
  '6': 379,
  '7': 559,
  '8': 45,
};

/** The pricing service: `GET /prices/:id` -> `{ productId, amount, currency }`. */
export const pricingHandler: DownstreamHandler = (url) => {
  const match = /^\/prices\/([^/]+)$/.exec(url.pathname);
  if (match === null) return { status: 404, body: { error: 'try GET /prices/:id' } };
  const productId = decodeURIComponent(match[1]!);
  const amount = PRICES[productId];
  if (amount === undefined) return { status: 404, body: { error: `no price for product ${productId}` } };
  return { status: 200, body: { productId, amount, currency: 'EUR' } };
};
