import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { CatalogService } from '../catalog/catalog.service.js';
import { PricingService, type PriceSource } from './pricing.service.js';

export interface ProductView {
  id: string;
  name: string;
  description: string;
  price: number | null;
  currency: string | null;
  /** `live` from pricing, `cached` while pricing is down, `unavailable` if it never answered for this product. */
  priceSource: PriceSource;
  priceAgeMs: number | null;
}

@Controller('products')
export class ProductsController {
  constructor(
    private readonly catalog: CatalogService,
    private readonly pricing: PricingService,
  ) {}

  @Get()
  list(): { id: string; name: string }[] {
    return this.catalog.all().map(({ id, name }) => ({ id, name }));
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<ProductView> {
    const product = this.catalog.find(id);
    if (product === undefined) throw new NotFoundException(`No product ${id}`);
    const price = await this.pricing.price(id);
    return {
      id: product.id,
      name: product.name,
      description: product.description,
      price: price.amount,
      currency: price.currency,
      priceSource: price.source,
      priceAgeMs: price.ageMs,
    };
  }
}
