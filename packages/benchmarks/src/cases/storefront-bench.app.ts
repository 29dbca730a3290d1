import 'reflect-metadata';
import { AdaptiveBulkheadPolicy, type BulkheadOptions } from '@bulwark/core';
import { Bulkhead, BulkheadRegistry, ResilienceModule } from '@bulwark/nestjs';
import { Controller, Get, Inject, Injectable, Module, Param, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OverloadVariant } from '../lib/overload-variant.js';

export interface StorefrontOptions {
  readonly variant: OverloadVariant;
  /** Base URL of the pricing downstream (`http://127.0.0.1:port`). */
  readonly downstreamUrl: string;
  /** The static bulkhead's `maxConcurrent` (the sweep's knob); static variant only. */
  readonly maxConcurrent?: number;
}

export interface Price {
  readonly sku: string;
  readonly amount: number;
  readonly currency: string;
}

const DOWNSTREAM_URL = Symbol('DOWNSTREAM_URL');

/** The outbound call every variant makes: one GET to the pricing downstream. */
@Injectable()
export class PricingClient {
  constructor(@Inject(DOWNSTREAM_URL) private readonly baseUrl: string) {}

  async fetchPrice(sku: string): Promise<Price> {
    const response = await fetch(`${this.baseUrl}/prices/${encodeURIComponent(sku)}`);
    if (!response.ok) throw new Error(`pricing answered ${response.status}`);
    return (await response.json()) as Price;
  }
}

/** What the product page asks for; each variant provides it. */
export abstract class PricingService {
  abstract price(sku: string): Promise<Price>;
}

@Injectable()
export class UnlimitedPricingService extends PricingService {
  constructor(private readonly client: PricingClient) {
    super();
  }

  price(sku: string): Promise<Price> {
    return this.client.fetchPrice(sku);
  }
}

/** A static bulkhead; `bulkheads.pricing` in the module options sets the `maxConcurrent` being measured. */
@Injectable()
export class StaticPricingService extends PricingService {
  constructor(private readonly client: PricingClient) {
    super();
  }

  @Bulkhead({ name: 'pricing', maxConcurrent: 16, maxQueue: 0 })
  price(sku: string): Promise<Price> {
    return this.client.fetchPrice(sku);
  }
}

/** The adaptive bulkhead, untuned: Gradient2 and every default (`maxQueue` 0, as the static one). */
@Injectable()
export class AdaptivePricingService extends PricingService {
  constructor(private readonly client: PricingClient) {
    super();
  }

  @Bulkhead({ name: 'pricing', adaptive: true })
  price(sku: string): Promise<Price> {
    return this.client.fetchPrice(sku);
  }
}

/** The storefront's product page: one pricing call per request. A full bulkhead answers 503 (Bulwark's error mapping). */
@Controller('products')
export class ProductController {
  constructor(private readonly pricing: PricingService) {}

  @Get(':sku')
  async product(@Param('sku') sku: string): Promise<{ sku: string; name: string; price: Price }> {
    return { sku, name: `Product ${sku}`, price: await this.pricing.price(sku) };
  }
}

const SERVICES: Record<OverloadVariant, Type<PricingService>> = {
  'no-limit': UnlimitedPricingService,
  static: StaticPricingService,
  adaptive: AdaptivePricingService,
};

@Module({})
class StorefrontBenchModule {}

export function storefrontModule(options: StorefrontOptions): DynamicModule {
  const { variant, maxConcurrent } = options;
  const bulkheads: Record<string, BulkheadOptions> = variant === 'static' && maxConcurrent !== undefined ? { pricing: { maxConcurrent, maxQueue: 0 } } : {};
  return {
    module: StorefrontBenchModule,
    imports: [ResilienceModule.forRoot({ health: false, logging: false, bulkheads })],
    controllers: [ProductController],
    providers: [
      { provide: DOWNSTREAM_URL, useValue: options.downstreamUrl },
      PricingClient,
      { provide: PricingService, useClass: SERVICES[variant] },
    ],
  };
}

/** The storefront of one variant, listening on an ephemeral port. */
export async function bootStorefront(options: StorefrontOptions): Promise<{ app: INestApplication; port: number; adaptiveLimit: () => number | undefined }> {
  const app = await NestFactory.create(storefrontModule(options), { logger: false });
  await app.init();
  // A deep accept queue: when the machine stalls the app for a moment, the requests due meanwhile
  // arrive on new connections, and with Node's default of 511 the kernel drops the excess SYNs,
  // which the client resends only a second later (a timeout the storefront never saw).
  const server = app.getHttpServer() as Server;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 }, resolve));
  const address = server.address() as AddressInfo;
  const pricing = app.get(BulkheadRegistry).get('pricing');
  const adaptiveLimit = (): number | undefined => (pricing instanceof AdaptiveBulkheadPolicy ? pricing.limit : undefined);
  return { app, port: address.port, adaptiveLimit };
}
