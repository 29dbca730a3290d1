import type { ResilienceStore } from '@bulwark/core';
import { redisStore } from '@bulwark/redis';
import { Redis } from 'ioredis';

/** The store every replica of the cluster demo shares, and the client it runs on (the application's). */
export interface SharedBreakers {
  readonly store: ResilienceStore;
  /** Closes the client; the application closes the store itself. */
  disconnect(): void;
}

/**
 * What an application adds to share its breakers across replicas: its own ioredis client and a
 * `redisStore` on it, passed as `ResilienceModule.forRoot({ store })`. Every replica uses the same
 * Redis and prefix.
 */
export function sharedBreakers(redisUrl: string): SharedBreakers {
  const client = new Redis(redisUrl);
  // ioredis reconnects by itself; while Redis is away the store runs the breakers locally and says so once.
  client.on('error', () => undefined);
  return { store: redisStore({ client, prefix: 'storefront' }), disconnect: () => client.disconnect() };
}
