import { Redis, type Cluster, type RedisOptions } from 'ioredis';

/** What the store accepts as its `client`: a single Redis (standalone or Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/**
 * Reconnects for as long as the store lives, whatever the application's client does: backs off
 * from 100 ms to 2 s. Returning a number is what keeps ioredis reconnecting.
 */
const reconnect = (times: number): number => Math.min(100 * times, 2_000);

/**
 * Options of every connection the store opens, whatever the application set on its client (the
 * client is only their template: host, port, TLS, credentials, Sentinel, cluster nodes):
 * - connect now (`lazyConnect` off): the store may have nothing to send for a long time, and it
 *   must know whether Redis is there;
 * - no offline queue, no retried or re-sent commands: a command either goes now or fails now (the
 *   store is then local-only), so a batch of outcomes is never replayed late after a reconnect;
 * - no `keyPrefix`: the store names its keys and its channel itself (the client's prefix included,
 *   see `namespaceOf`), because ioredis prefixes keys but not pub/sub channels;
 * - the store subscribes again itself on every `ready` (so it knows when a subscription is confirmed);
 * - a closed connection's socket is destroyed after the store's command timeout, not ioredis' 2 s
 *   (`disconnectTimeout`: its timer holds the process when the socket had already failed).
 */
const OWN_OPTIONS = {
  lazyConnect: false,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  autoResubscribe: false,
  keyPrefix: '',
  readOnly: false,
  enableAutoPipelining: false,
} satisfies RedisOptions;

/** The store's connection for its scripts (a duplicate of the application's client). `waitMs`: the store's command timeout. */
export function openCommandConnection(client: RedisClient, waitMs: number): RedisClient {
  if (!client.isCluster) return (client as Redis).duplicate({ ...OWN_OPTIONS, disconnectTimeout: waitMs, retryStrategy: reconnect });
  const cluster = client as Cluster;
  return cluster.duplicate([], {
    lazyConnect: false,
    // A Cluster connects to each node on the first command for it: without its queue, that command
    // fails and is retried 100 ms later. The store sends nothing before the cluster is ready, and
    // node connections still neither retry nor re-send (`maxRetriesPerRequest: 0`).
    enableOfflineQueue: true,
    enableAutoPipelining: false,
    keyPrefix: '',
    scaleReads: 'master',
    clusterRetryStrategy: reconnect,
    redisOptions: { ...cluster.options.redisOptions, ...nodeOptions(), disconnectTimeout: waitMs },
  });
}

/**
 * The store's connection for pub/sub. On a single Redis, a duplicate of the application's client.
 * On Redis Cluster, a plain connection to one of its nodes (`node`): a message published on any
 * node reaches the subscribers of every node, and a connection of its own is one the store can
 * watch (subscribed or not) and move to another node when this one goes away.
 */
export function openSubscriberConnection(client: RedisClient, waitMs: number, node?: Redis): Redis {
  if (!client.isCluster) return (client as Redis).duplicate({ ...OWN_OPTIONS, disconnectTimeout: waitMs, retryStrategy: reconnect });
  // The node's own options: the cluster's `redisOptions` (TLS, credentials) and its address after
  // any NAT mapping. Not reconnected: when the node goes away the store picks another one.
  return new Redis({ ...node!.options, ...OWN_OPTIONS, disconnectTimeout: waitMs, retryStrategy: null });
}

/** What the store sets on a Cluster's node connections (the cluster decides the rest). */
function nodeOptions(): Omit<RedisOptions, 'lazyConnect' | 'enableOfflineQueue' | 'readOnly'> {
  const { lazyConnect: _lazy, enableOfflineQueue: _queue, readOnly: _readOnly, ...rest } = OWN_OPTIONS;
  return rest;
}

/**
 * The application's `keyPrefix` (ioredis applies it to keys only): the store puts it in front of
 * its own prefix, for its keys and its channel alike, so applications that keep apart by
 * `keyPrefix` on one Redis also keep their breakers apart.
 */
export function keyPrefixOf(client: RedisClient): string {
  const options = client.options as { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } };
  const prefix = options.keyPrefix || options.redisOptions?.keyPrefix || '';
  return typeof prefix === 'string' ? prefix : Buffer.isBuffer(prefix) ? prefix.toString() : '';
}

/**
 * Closes a connection the store opened. A bare `disconnect()` of a connection still being set up
 * holds the process for seconds (its socket waits for the connect timeout): one still connecting
 * is given up to `timeoutMs` to finish (or fail) first.
 */
export async function closeConnection(connection: RedisClient, timeoutMs: number): Promise<void> {
  if (connection.status === 'connecting' || connection.status === 'connect') {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let settle: () => void = () => undefined;
    await new Promise<void>((resolve) => {
      settle = resolve;
      timer = setTimeout(resolve, timeoutMs);
      connection.once('ready', resolve).once('close', resolve).once('end', resolve);
    });
    clearTimeout(timer);
    connection.off('ready', settle).off('close', settle).off('end', settle);
  }
  connection.disconnect();
}
