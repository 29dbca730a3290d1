import { CircuitBreaker, Fallback, Retry, Timeout, currentSignal } from '@bulwark/nestjs';
import { Inject, Injectable } from '@nestjs/common';
import { readJson } from '../downstream.error.js';
import { PRICE_MAX_STALENESS_MS, STOREFRONT_OPTIONS, type StorefrontOptions } from '../storefront.options.js';

export type PriceSource = 'live' | 'cached' | 'unavailable';

export interface Price {
  readonly productId: string;
  readonly amount: number | null;
  readonly currency: string | null;
  readonly source: PriceSource;
  /** How old the price is: 0 when live, the time since it was fetched when cached. */
  readonly ageMs: number | null;
}

/** "A product page can show cached pricing if the pricing service is down." */
@Injectable()
export class PricingClient {
  private readonly baseUrl: string;

  constructor(@Inject(STOREFRONT_OPTIONS) options: StorefrontOptions) {
    this.baseUrl = options.downstreams.pricing;
  }

  // Outside in: the fallback sees the final outcome; each retry passes the breaker and gets its
  // own 3 s timeout. On failure the last live price of this product (15 min at most) is served,
  // marked `cached`; a product never priced since start-up gets `unavailable` instead of an error.
  @Fallback({
    staleIfError: {
      maxAge: PRICE_MAX_STALENESS_MS,
      map: (price: Price, { ageMs }): Price => ({ ...price, source: 'cached', ageMs }),
    },
    method: 'priceUnavailable',
  })
  @Retry('pricing')
  @CircuitBreaker('pricing')
  @Timeout('internal')
  async price(productId: string): Promise<Price> {
    const response = await fetch(`${this.baseUrl}/prices/${encodeURIComponent(productId)}`, { signal: currentSignal() });
    const body = await readJson<{ amount: number; currency: string }>('pricing', response);
    return { productId, amount: body.amount, currency: body.currency, source: 'live', ageMs: 0 };
  }

  /** The fallback of last resort, called as `priceUnavailable(productId, error)`. */
  priceUnavailable(productId: string): Price {
    return { productId, amount: null, currency: null, source: 'unavailable', ageMs: null };
  }
}
