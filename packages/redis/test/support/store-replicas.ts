import { afterEach } from '@jest/globals';
import { CircuitBreakerPolicy } from '@bulwark/core';
import { waitFor } from '@bulwark/local-cluster';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { redisStore, type RedisStore, type RedisStoreOptions } from '../../src/index.js';

/** Breaker options a spec may set (everything but the name). */
export type BreakerOptions = Partial<ConstructorParameters<typeof CircuitBreakerPolicy>[0]>;

/** A logger that keeps what the store said. */
export class RecordingLogger {
  readonly logs: string[] = [];
  readonly warnings: string[] = [];
  log = (message: string): void => {
    this.logs.push(message);
  };
  warn = (message: string): void => {
    this.warnings.push(message);
  };
}

export const quietLogger = { log: (): void => undefined, warn: (): void => undefined };

/** Every client and store a spec made through `storeReplica`; closed after each test. */
const opened: Array<{ store: RedisStore; client: Redis | Cluster }> = [];
afterEach(async () => {
  await Promise.all(
    opened.splice(0).map(async ({ store, client }) => {
      await store.close();
      client.disconnect();
    }),
  );
});

/**
 * One replica: its own ioredis client (with `clientOptions`, as an application would create it)
 * and its own store. Several in one process stand for replicas: everything they share goes
 * through Redis. `target` is a URL, or the nodes of a Redis Cluster.
 */
export function storeReplica(
  target: string | readonly string[],
  options: Partial<RedisStoreOptions> = {},
  clientOptions: RedisOptions | ClusterOptions = {},
): { store: RedisStore; client: Redis | Cluster } {
  // A short disconnectTimeout: a socket that failed must not hold the test process for ioredis' 2 s.
  const client =
    typeof target === 'string'
      ? new Redis(target, { maxRetriesPerRequest: 1, disconnectTimeout: 100, ...(clientOptions as RedisOptions) })
      : new Cluster(target.map(parseNode), { redisOptions: { disconnectTimeout: 100 }, ...(clientOptions as ClusterOptions) });
  client.on('error', () => undefined); // the application's client: its errors are the application's
  const store = redisStore({ client, logger: quietLogger, ...options });
  opened.push({ store, client });
  return { store, client };
}

/** A breaker of `name` attached to `store`: threshold 3, recovery 300 ms unless `options` say otherwise. */
export function attachedBreaker(store: RedisStore, name = 'dep', options: BreakerOptions = {}): CircuitBreakerPolicy {
  const breaker = new CircuitBreakerPolicy({ name, failureThreshold: 3, recoveryTimeout: 300, ...options });
  store.attachCircuitBreaker(breaker);
  return breaker;
}

/** Resolves once every store shares state: commands reach Redis and the subscription is confirmed. */
export async function sharing(...stores: RedisStore[]): Promise<void> {
  await waitFor(() => stores.every((store) => store.status().connected && store.status().subscribed), 'every store connected and subscribed', 10_000);
}

export const fail = (breaker: CircuitBreakerPolicy): Promise<unknown> => breaker.execute(() => Promise.reject(new Error('down'))).catch((error: unknown) => error);
export const succeed = (breaker: CircuitBreakerPolicy): Promise<string> => breaker.execute(() => Promise.resolve('ok'));

/** `waitFor` with the limit these specs use: generous, so a loaded machine only makes them slower. */
export function until(condition: () => boolean, what: string, limitMs = 10_000): Promise<void> {
  return waitFor(condition, what, limitMs);
}

function parseNode(node: string): { host: string; port: number } {
  const [host, port] = node.split(':');
  return { host: host!, port: Number(port) };
}
