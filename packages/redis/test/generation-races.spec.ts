import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { CircuitOpenError, FakeClock, type CircuitBreakerPolicy } from '@bulwark/core';
import { sleep } from '@bulwark/local-cluster';
import { Redis } from 'ioredis';
import { HoldingProxy } from './support/holding-proxy.js';
import { sharedRedisUrl } from './support/redis-server.js';
import { attachedBreaker, fail, sharing, storeReplica, until } from './support/store-replicas.js';

/** The races between what a replica reads, what it hears, and how long a trial takes. */
describe('generations and trial leases under races', () => {
  let url: string;
  let seq = 0;
  const prefix = (): string => `races-${process.pid}-${Date.now()}-${++seq}`;
  const proxies: HoldingProxy[] = [];

  beforeAll(async () => {
    url = await sharedRedisUrl();
  });
  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.stop()));
  });

  it('a read answered late never overwrites a newer generation heard on pub/sub meanwhile', async () => {
    const { hostname, port } = new URL(url);
    const proxy = new HoldingProxy({ host: hostname, port: Number(port) });
    proxies.push(proxy);
    await proxy.start();
    const options = { prefix: prefix(), commandTimeoutMs: 10_000 };
    const one = storeReplica(url, options).store;
    const two = storeReplica(proxy.url, options).store; // its connections go through the proxy
    const a = attachedBreaker(one);
    const b = attachedBreaker(two);
    const other = attachedBreaker(two, 'other');
    await sharing(one, two);
    a.forceOpen();
    await until(() => b.state === 'forced-open', 'forced open heard');
    a.reset();
    await until(() => b.state === 'closed', 'closed heard');

    // The second replica's subscriber reconnects: it re-reads every breaker; that read's answer
    // (closed) is held back on its way...
    proxy.hold();
    const before = proxy.scriptRequests;
    proxy.dropSubscribers();
    await until(() => proxy.scriptRequests > before && proxy.heldBytes > 0, 'the read answered by Redis and held');
    // ...while a newer transition arrives on pub/sub.
    a.forceOpen();
    await until(() => b.state === 'forced-open', 'the newer transition heard');
    const batches = (): number => two.link.breaker.snapshot().calls.success;
    const done = batches();
    proxy.release();
    // A later batch on the same connection is answered after the held read: once it is, the read was applied or dropped.
    await fail(other);
    await until(() => batches() >= done + 2, 'the held read and a later batch answered');
    expect(b.state).toBe('forced-open');
    expect(a.state).toBe('forced-open');
  });

  describe('a trial that takes longer than its lease', () => {
    /**
     * Opens the cluster breaker from `a` (its clock is fake: its half-open round never times out
     * by itself), lets the recovery timeout pass on Redis' clock, and starts `a`'s trial: a call
     * that stays under way until `finish` is called.
     */
    async function slowTrial(a: CircuitBreakerPolicy, clock: FakeClock, b: CircuitBreakerPolicy): Promise<{ finish: (ok: boolean) => void; settled: Promise<unknown> }> {
      for (let i = 0; i < 3; i++) await fail(a);
      await until(() => b.state === 'open', 'open on the other replica');
      await sleep(350); // the recovery timeout (300 ms) passes on Redis' clock
      clock.advance(300);
      return startTrial(a);
    }

    it("its verdict still counts when nothing happened since its lease expired: every replica follows it", async () => {
      const clock = new FakeClock(1_000_000);
      const options = { prefix: prefix() };
      const one = storeReplica(url, options).store;
      const two = storeReplica(url, options).store;
      const a = attachedBreaker(one, 'dep', { clock });
      const b = attachedBreaker(two, 'dep', { recoveryTimeout: 60_000 }); // never asks for the lease here
      await sharing(one, two);
      const trial = await slowTrial(a, clock, b);
      expect(a.state).toBe('half-open');
      await leaseExpired(url, options.prefix);
      trial.finish(true);
      await trial.settled;
      expect(a.state).toBe('closed');
      await until(() => b.state === 'closed', 'the other replica closed by the late verdict');
    });

    it('its verdict is refused once another replica started a round: the late replica follows the cluster', async () => {
      const clock = new FakeClock(1_000_000);
      const options = { prefix: prefix() };
      const one = storeReplica(url, options).store;
      const two = storeReplica(url, options).store;
      const a = attachedBreaker(one, 'dep', { clock });
      const b = attachedBreaker(two, 'dep');
      await sharing(one, two);
      const trialA = await slowTrial(a, clock, b);
      await leaseExpired(url, options.prefix);
      // The lease expired: the other replica takes it and runs its own trial.
      const trialB = await startTrial(b);
      trialA.finish(true);
      await trialA.settled;
      // The late success was refused: `a` is open again, like the cluster, while `b`'s round runs.
      await until(() => a.state === 'open', 'the late replica back to the cluster state');
      expect(b.state).toBe('half-open');
      trialB.finish(true);
      await trialB.settled;
      await until(() => a.state === 'closed' && b.state === 'closed', 'both closed by the current round');
    });
  });
});

/**
 * Calls `breaker` until a call is let through as its half-open trial (the store grants the lease
 * in the background; until then calls are refused); that call stays under way until `finish`.
 */
async function startTrial(breaker: CircuitBreakerPolicy): Promise<{ finish: (ok: boolean) => void; settled: Promise<unknown> }> {
  let finish: (ok: boolean) => void = () => undefined;
  const limit = Date.now() + 10_000;
  for (;;) {
    let admitted = false;
    const settled = breaker.execute(
      () =>
        new Promise<string>((resolve, reject) => {
          admitted = true;
          finish = (ok) => (ok ? resolve('ok') : reject(new Error('down')));
        }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    if (admitted) return { finish, settled: settled.catch((error: unknown) => error) };
    const error = await settled.catch((e: unknown) => e);
    if (!(error instanceof CircuitOpenError)) throw new Error(`unexpected outcome while waiting for the trial: ${String(error)}`);
    if (Date.now() > limit) throw new Error('no trial granted within 10 s');
    await sleep(10);
  }
}

/** Resolves once the trial lease under `prefix` is gone from Redis (it expires after the recovery timeout). */
async function leaseExpired(url: string, prefix: string): Promise<void> {
  const admin = new Redis(url);
  try {
    const [lease] = await admin.keys(`${prefix}:*:trial`);
    expect(lease).toBeDefined();
    const limit = Date.now() + 10_000;
    while ((await admin.exists(lease!)) === 1) {
      if (Date.now() > limit) throw new Error('the lease did not expire');
      await sleep(20);
    }
  } finally {
    admin.disconnect();
  }
}
