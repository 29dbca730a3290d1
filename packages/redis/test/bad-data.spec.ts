import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep } from '@bulwark/local-cluster';
import { Redis } from 'ioredis';
import { sharedRedisUrl } from './support/redis-server.js';
import { attachedBreaker, fail, RecordingLogger, sharing, storeReplica, until } from './support/store-replicas.js';

/**
 * Bad data in Redis (a malformed message on the channel, a corrupted hash) is contained: it is
 * ignored or repaired for its own breaker, logged at most once per breaker per minute, and never
 * stops the other breakers from syncing or takes the store local-only.
 */
describe('bad data in Redis', () => {
  let url: string;
  let admin: Redis;
  let seq = 0;
  const prefix = (): string => `bad-data-${process.pid}-${Date.now()}-${++seq}`;

  beforeAll(async () => {
    url = await sharedRedisUrl();
  });
  afterEach(() => {
    admin?.disconnect();
  });

  it('malformed messages are ignored and logged once per breaker: a breaker is never pinned by them, the others keep syncing', async () => {
    admin = new Redis(url);
    const logger = new RecordingLogger();
    const options = { prefix: prefix() };
    const one = storeReplica(url, options).store;
    const two = storeReplica(url, { ...options, logger }).store;
    const a = attachedBreaker(one, 'dep');
    const b = attachedBreaker(two, 'dep');
    const otherA = attachedBreaker(one, 'other');
    const otherB = attachedBreaker(two, 'other');
    await sharing(one, two);
    const channel = two.channel;
    const publish = (message: unknown): Promise<number> => admin.publish(channel, typeof message === 'string' ? message : JSON.stringify(message));
    for (let i = 0; i < 3; i++) await publish({ id: 'dep', state: 'open', ageMs: 'zzz', gen: 2, origin: 'x' });
    await publish({ id: 'dep', state: 'open', ageMs: 0, gen: 1e15, origin: 'x' });
    await publish({ id: 'dep', state: 'half-open', ageMs: 0, gen: 3, origin: 'x' });
    await publish({ id: 'other', state: 'closed', ageMs: -5, gen: 1, origin: 'x' });
    await publish('{"id":"dep",');
    await publish({ id: 'nobody-here', state: 'open', ageMs: 0, gen: 1, origin: 'x' });
    await sleep(100);
    // Nothing applied: a generation from nowhere was checked against Redis, which has none of it.
    expect(b.state).toBe('closed');
    expect(otherB.state).toBe('closed');
    // Real transitions still reach both breakers, both ways: neither is pinned.
    for (let i = 0; i < 3; i++) await fail(a);
    await until(() => b.state === 'open', 'dep open on the other replica');
    a.reset();
    await until(() => b.state === 'closed', 'dep closed again on the other replica');
    otherB.forceOpen();
    await until(() => otherA.state === 'forced-open', 'other forced open on the first replica');
    expect(two.status()).toEqual({ connected: true, subscribed: true });
    // Each breaker's bad news logged once (and the unreadable message once).
    expect(logger.warnings).toEqual([
      expect.stringMatching(/invalid message .* for circuit breaker "dep": ageMs "zzz"/),
      expect.stringMatching(/invalid message .* for circuit breaker "other": ageMs -5/),
      expect.stringMatching(/invalid message .*: not JSON/),
    ]);
  });

  it("a corrupted hash is repaired for its breaker alone (logged once): the batch it was in still syncs the others, the store stays connected", async () => {
    admin = new Redis(url);
    const logger = new RecordingLogger();
    const options = { prefix: prefix() };
    const one = storeReplica(url, { ...options, logger }).store;
    const two = storeReplica(url, options).store;
    const broken = attachedBreaker(one, 'broken', { failureThreshold: 100 });
    const fine = attachedBreaker(one, 'fine');
    const fineB = attachedBreaker(two, 'fine');
    await sharing(one, two);
    await fail(broken);
    const key = await findHash(admin, options.prefix, 'broken');
    await admin.hset(key, 'state', 'open', 'openedAt', 'abc', 'failures', 'x');
    // Failures of both breakers, in the same batches.
    for (let i = 0; i < 3; i++) await Promise.all([fail(broken), fail(fine)]);
    await until(() => fineB.state === 'open', 'the healthy breaker open on the other replica');
    expect(one.status().connected).toBe(true);
    expect(one.link.breaker.snapshot().calls.failure).toBe(0);
    expect(logger.warnings).toEqual([expect.stringMatching(/invalid data in Redis for circuit breaker "broken" .* was repaired/)]);
    expect(await admin.hget(key, 'openedAt')).toMatch(/^\d+$/);
  });
});

/** The key of breaker `name`'s hash under `prefix`, as the store named it (looked up, not assumed). */
async function findHash(admin: Redis, prefix: string, name: string): Promise<string> {
  const until = Date.now() + 10_000;
  for (;;) {
    for (const candidate of await admin.keys(`${prefix}:cb:*${name}*`)) {
      if ((await admin.type(candidate)) === 'hash') return candidate;
    }
    if (Date.now() > until) throw new Error(`no hash for ${name} under ${prefix}`);
    await sleep(10);
  }
}
