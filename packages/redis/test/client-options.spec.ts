import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { sleep } from '@bulwark/local-cluster';
import { Redis, type RedisOptions } from 'ioredis';
import { sharedRedisUrl, startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { attachedBreaker, fail, RecordingLogger, sharing, storeReplica, succeed, until } from './support/store-replicas.js';

/**
 * The store works with the client the application gives it, whatever its options: two stores
 * (two clients, two replicas) on a real redis-server share transitions both ways.
 */
describe('RedisStore with the client options applications use', () => {
  let url: string;
  let seq = 0;
  const prefix = (): string => `client-options-${process.pid}-${Date.now()}-${++seq}`;

  beforeAll(async () => {
    url = await sharedRedisUrl();
  });

  const cases: Array<[string, RedisOptions]> = [
    ['enableOfflineQueue: false', { enableOfflineQueue: false }],
    ['lazyConnect: true', { lazyConnect: true }],
    ['a keyPrefix', { keyPrefix: 'app:' }],
    ['maxRetriesPerRequest: null', { maxRetriesPerRequest: null }],
    ['all of them', { enableOfflineQueue: false, lazyConnect: true, keyPrefix: 'app:', maxRetriesPerRequest: null }],
  ];

  it.each(cases)('%s: subscribed, and transitions reach the other replica both ways', async (_name, clientOptions) => {
    const options = { prefix: prefix() };
    const one = storeReplica(url, options, clientOptions).store;
    const two = storeReplica(url, options, clientOptions).store;
    const a = attachedBreaker(one);
    const b = attachedBreaker(two);
    await sharing(one, two);
    for (let i = 0; i < 3; i++) await fail(a);
    await until(() => b.state === 'open', 'the other replica open');
    b.forceOpen();
    await until(() => a.state === 'forced-open', 'the first replica forced open');
    a.reset();
    await until(() => b.state === 'closed', 'the other replica closed');
    expect(one.status()).toEqual({ connected: true, subscribed: true });
  });

  it("with a keyPrefix, the store's keys and channel carry it: applications apart by keyPrefix keep their breakers apart", async () => {
    const options = { prefix: prefix() };
    const first = storeReplica(url, options, { keyPrefix: 'first:' }).store;
    const second = storeReplica(url, options, { keyPrefix: 'second:' }).store;
    const a = attachedBreaker(first);
    const b = attachedBreaker(second);
    await sharing(first, second);
    for (let i = 0; i < 3; i++) await fail(a);
    const admin = new Redis(url);
    try {
      await until(() => a.state === 'open', 'the first application open');
      const keys = await admin.keys(`*${options.prefix}*`);
      expect(keys.filter((key) => !key.startsWith('first:'))).toEqual([]);
      expect(first.channel).toBe(`first:${options.prefix}:cb:events`);
      // A transition the second application would have heard arrives within a round-trip or two.
      await sleep(100);
      expect(b.state).toBe('closed');
    } finally {
      admin.disconnect();
    }
  });

  it('maxRetriesPerRequest: null: outcomes counted while Redis was away are not replayed when it returns', async () => {
    const server = await startRedisServer();
    try {
      const options = { prefix: prefix(), redisRecoveryTimeout: 200 };
      const one = storeReplica(server.url, options, { maxRetriesPerRequest: null }).store;
      const two = storeReplica(server.url, options, { maxRetriesPerRequest: null }).store;
      const a = attachedBreaker(one);
      const b = attachedBreaker(two);
      await sharing(one, two);
      await server.kill();
      // Two failures on each replica: below each one's threshold of 3, four for the cluster.
      for (let i = 0; i < 2; i++) {
        await fail(a);
        await fail(b);
        await sleep(120);
      }
      await server.restart();
      await sharing(one, two);
      // A fresh success on each replica goes through the batches after the reconnect.
      await succeed(a);
      await succeed(b);
      const admin = new Redis(server.url);
      try {
        await until(() => one.status().connected, 'connected');
        await sleep(100);
        const hashes = await admin.keys(`*${options.prefix}*`);
        const states = await Promise.all(hashes.filter((key) => !key.endsWith(':trial')).map((key) => admin.hget(key, 'state')));
        expect(states.filter((state) => state === 'open')).toEqual([]);
        expect([a.state, b.state]).toEqual(['closed', 'closed']);
      } finally {
        admin.disconnect();
      }
    } finally {
      await server.stop();
    }
  });

  describe('sharing that does not work is reported, in the log (once) and in status()', () => {
    let server: RedisServerHandle;
    beforeAll(async () => {
      server = await startRedisServer();
      const admin = new Redis(server.url);
      // A user that may run scripts and publish, but not SUBSCRIBE (as some managed Redis ACLs).
      await admin.call('ACL', 'SETUSER', 'nosub', 'on', '>secret', '~*', '&*', '+@all', '-subscribe');
      admin.disconnect();
    });
    afterAll(async () => {
      await server.stop();
    });

    it('a subscription Redis refuses: status says not subscribed, the log says why, and the replica still learns through its own batches', async () => {
      const logger = new RecordingLogger();
      const options = { prefix: prefix() };
      const refused = storeReplica(server.url, { ...options, logger }, { username: 'nosub', password: 'secret' }).store;
      const fine = storeReplica(server.url, options).store;
      const a = attachedBreaker(refused);
      const b = attachedBreaker(fine);
      await until(() => logger.warnings.length > 0, 'a warning');
      expect(refused.status()).toEqual({ connected: true, subscribed: false });
      expect(logger.warnings).toEqual([expect.stringMatching(/not subscribed to Redis channel ".*:cb:events" \(.*NOPERM.*\)/)]);
      // Its own outcomes still reach the cluster: the replica that is subscribed hears them.
      for (let i = 0; i < 3; i++) await fail(a);
      await until(() => b.state === 'open', 'the subscribed replica open');
      await sleep(200);
      expect(logger.warnings).toHaveLength(1);
    });

    it('Redis killed: not connected, not subscribed, logged once; restarted: subscribed again, logged once, transitions flow again', async () => {
      const logger = new RecordingLogger();
      const options = { prefix: prefix(), redisRecoveryTimeout: 200 };
      const one = storeReplica(server.url, { ...options, logger }).store;
      const two = storeReplica(server.url, options).store;
      const a = attachedBreaker(one);
      const b = attachedBreaker(two);
      await sharing(one, two);
      const unhandled = jest.spyOn(console, 'error');
      try {
        await server.kill();
        await until(() => !one.status().connected && !one.status().subscribed, 'the outage seen');
        await sleep(300); // reconnect attempts fail meanwhile: errors on every connection of the store
        expect(logger.warnings).toEqual([expect.stringMatching(/Redis is unreachable .*local-only/)]);
        await server.restart();
        await sharing(one, two);
        expect(logger.logs).toEqual([expect.stringMatching(/reachable again and subscribed/)]);
        b.forceOpen();
        await until(() => a.state === 'forced-open', 'the transition after the restart');
        // Every connection the stores opened handled its errors: ioredis reported none as unhandled.
        expect(unhandled.mock.calls.filter((call) => String(call[0]).includes('Unhandled error event'))).toEqual([]);
      } finally {
        unhandled.mockRestore();
      }
    });
  });
});
