import { beforeAll, describe, expect, it, jest } from '@jest/globals';
import { sleep } from '@bulwark/local-cluster';
import { Cluster } from 'ioredis';
import { startRedisCluster, sharedRedisCluster } from './support/redis-cluster.js';
import { attachedBreaker, fail, RecordingLogger, sharing, storeReplica, succeed, until } from './support/store-replicas.js';

/**
 * The store on Redis Cluster (3 masters, `redis-cli --cluster create`): an ioredis `Cluster` as
 * the client, breakers whose keys land on different nodes, every script on the keys of one slot.
 */
describe('RedisStore on Redis Cluster', () => {
  let nodes: readonly string[];
  let seq = 0;
  const prefix = (): string => `cluster-spec-${process.pid}-${Date.now()}-${++seq}`;
  /** Names whose keys spread over the three nodes. */
  const NAMES = ['pricing', 'search', 'payments', 'inventory', 'reviews', 'shipping'];

  beforeAll(async () => {
    nodes = await sharedRedisCluster();
  }, 60_000);

  it('shares transitions between replicas for breakers on every node, several in one batch', async () => {
    // A generous command timeout: the first command to a node also connects to it, and the spec
    // checks that no call failed (no CROSSSLOT, no error), not how fast a loaded machine answers.
    const options = { prefix: prefix(), commandTimeoutMs: 5_000 };
    const one = storeReplica(nodes, options).store;
    const two = storeReplica(nodes, options).store;
    const a = NAMES.map((name) => attachedBreaker(one, name));
    const b = NAMES.map((name) => attachedBreaker(two, name));
    await sharing(one, two);
    // Every breaker fails at once: each batch carries all six, on three nodes.
    for (let i = 0; i < 3; i++) await Promise.all(a.map(fail));
    await until(() => b.every((breaker) => breaker.state === 'open'), 'every breaker open on the other replica');
    b[0]!.forceOpen();
    await until(() => a[0]!.state === 'forced-open', 'forced open on the first replica');
    expect(one.status()).toEqual({ connected: true, subscribed: true });
    expect(one.link.breaker.snapshot().calls.failure).toBe(0);
    // A breaker's keys carry its hash tag (its lease too: `...:cb:{pricing}:trial`), and they are
    // spread over the nodes.
    const admin = new Cluster(nodes.map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })));
    try {
      await new Promise((resolve) => admin.once('ready', resolve));
      const perNode = await Promise.all(admin.nodes('master').map((node) => node.keys(`${options.prefix}:*`)));
      expect(perNode.flat().sort()).toEqual(NAMES.map((name) => `${options.prefix}:cb:{${name}}`).sort());
      expect(perNode.filter((keys) => keys.length > 0).length).toBeGreaterThan(1);
    } finally {
      admin.disconnect();
    }
  });

  it('runs one trial for the fleet (lease and verdict are multi-key scripts): its success closes every replica', async () => {
    const options = { prefix: prefix() };
    const one = storeReplica(nodes, options).store;
    const two = storeReplica(nodes, options).store;
    const a = attachedBreaker(one, 'search');
    const b = attachedBreaker(two, 'search');
    await sharing(one, two);
    for (let i = 0; i < 3; i++) await fail(a);
    await until(() => b.state === 'open', 'open on the other replica');
    await sleep(320); // the recovery timeout, on Redis' clock too
    let probes = 0;
    await until(() => {
      for (const breaker of [a, b]) {
        void breaker
          .execute(() => {
            probes++;
            return Promise.resolve('ok');
          })
          .catch(() => undefined);
      }
      return a.state === 'closed' && b.state === 'closed';
    }, 'both closed after one trial');
    expect(probes).toBeGreaterThanOrEqual(1);
    await succeed(a);
  });

  it('the cluster going away: local-only (said in the log), and no unhandled error event from any connection the store opened', async () => {
    const cluster = await startRedisCluster();
    const logger = new RecordingLogger();
    const options = { prefix: prefix(), redisRecoveryTimeout: 200, logger };
    const one = storeReplica(cluster.nodes, options).store;
    const a = attachedBreaker(one, 'pricing');
    await sharing(one);
    const unhandled = jest.spyOn(console, 'error');
    try {
      await cluster.kill();
      await until(() => !one.status().connected, 'local-only');
      for (let i = 0; i < 3; i++) await fail(a); // the local breaker still decides
      expect(a.state).toBe('open');
      await sleep(500); // reconnection attempts fail meanwhile
      // The lost subscription may be noticed (and said) first; then that the breakers are local-only.
      expect(logger.warnings.length).toBeLessThanOrEqual(2);
      expect(logger.warnings.at(-1)).toMatch(/Redis is unreachable .*local-only/);
      expect(unhandled.mock.calls.filter((call) => String(call[0]).includes('Unhandled error event'))).toEqual([]);
    } finally {
      unhandled.mockRestore();
      await cluster.stop();
    }
  }, 60_000);
});
