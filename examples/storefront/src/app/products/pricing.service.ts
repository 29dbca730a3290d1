import { Fallback } from '@bulwark/nestjs';
import { HttpService } from '@nestjs/axios';
import { Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { PRICE_MAX_STALENESS_MS } from '../storefront.options.js';

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
export class PricingService {
  /** The pricing service's `HttpService` (see `ProductsModule`): retries, timeouts and its breaker come with it. */
  constructor(private readonly http: HttpService) {}

  // The fallback sees the final outcome, once the HTTP client has given up: the last live price of
  // this product (15 min at most), marked `cached`; a product never priced since start-up gets
  // `unavailable` instead of an error.
  @Fallback({
    staleIfError: {
      maxAge: PRICE_MAX_STALENESS_MS,
      map: (price: Price, { ageMs }): Price => ({ ...price, source: 'cached', ageMs }),
    },
    method: 'priceUnavailable',
  })
  async price(productId: string): Promise<Price> {
    const { data } = await firstValueFrom(this.http.get<{ amount: number; currency: string }>(`/prices/${encodeURIComponent(productId)}`));
    return { productId, amount: data.amount, currency: data.currency, source: 'live', ageMs: 0 };
  }

  /** The fallback of last resort, called as `priceUnavailable(productId, error)`. */
  priceUnavailable(productId: string): Price {
    return { productId, amount: null, currency: null, source: 'unavailable', ageMs: null };
  }
}
