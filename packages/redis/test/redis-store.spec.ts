import { CircuitBreakerPolicy, CircuitOpenError, InvalidOptionsError } from '@bulwark/core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { RedisStore, redisStore } from '../src/index.js';
import { sharedRedisUrl, startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { sharing } from './support/store-replicas.js';

/**
 * Several stores in one process stand for replicas: each has its own client and its own breaker
 * objects of the same name, so everything they share goes through Redis.
 */
describe('RedisStore', () => {
  let url: string;
  let prefix: string;
  let seq = 0;
  const opened: Array<{ store: RedisStore; client: Redis }> = [];
  const quietLogger = { log: () => undefined, warn: () => undefined };

  beforeAll(async () => {
    url = await sharedRedisUrl();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map(async ({ store, client }) => {
      await store.close();
      client.disconnect();
    }));
  });

  const replica = (options: Partial<Parameters<typeof redisStore>[0]> = {}, redisUrl = url): RedisStore => {
    const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
    client.on('error', () => undefined);
    const store = redisStore({ client, prefix, logger: quietLogger, ...options });
    opened.push({ store, client });
    return store;
  };
  const breaker = (store: RedisStore, name = 'dep', extra: Partial<ConstructorParameters<typeof CircuitBreakerPolicy>[0]> = {}): CircuitBreakerPolicy => {
    const b = new CircuitBreakerPolicy({ name, failureThreshold: 3, recoveryTimeout: 300, ...extra });
    store.attachCircuitBreaker(b);
    return b;
  };
  const fail = (b: CircuitBreakerPolicy) => b.execute(() => Promise.reject(new Error('down'))).catch((e: unknown) => e);
  const succeed = (b: CircuitBreakerPolicy) => b.execute(() => Promise.resolve('ok'));
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Waits for `check`, generously: a loaded machine only makes these specs slower, never red. */
  async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<number> {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(2);
    }
    return Date.now() - start;
  }

  async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
      await sleep(5);
    }
  }

  /** Runs `change`, then waits until `store` sent a batch and has its answer (the store's link counted one more success). */
  async function synced(store: RedisStore, change: () => void): Promise<void> {
    const before = store.link.breaker.snapshot().calls.success;
    change();
    await waitFor(() => store.link.breaker.snapshot().calls.success > before);
  }

  beforeEach(() => {
    prefix = `store-spec-${process.pid}-${++seq}-${Date.now()}`;
  });

  it('opens every replica when the failures of all replicas together reach the threshold', async () => {
    const [s1, s2] = [replica(), replica()];
    const a = breaker(s1);
    const b = breaker(s2);
    await sharing(s1, s2);
    await fail(a);
    await fail(a);
    await fail(b); // no replica has 3 failures of its own: only the cluster count can open them
    await waitFor(() => a.state === 'open' && b.state === 'open');
    expect((await b.execute(() => 'never').catch((e: unknown) => e)) instanceof CircuitOpenError).toBe(true);
  });

  it('a success on any replica restarts the cluster-wide count of consecutive failures', async () => {
    const [s1, s2] = [replica(), replica()];
    const a = breaker(s1);
    const b = breaker(s2);
    await sharing(s1, s2);
    const admin = new Redis(url);
    const failures = async (): Promise<string | null> => {
      const [key] = await admin.keys(`${prefix}:cb:*dep*`);
      return key === undefined ? null : admin.hget(key, 'failures');
    };
    try {
      await fail(a);
      await fail(a);
      await eventually(async () => (await failures()) === '2'); // both failures counted in Redis
      await succeed(b);
      await eventually(async () => (await failures()) === '0'); // and b's success
    } finally {
      admin.disconnect();
    }
    await fail(a); // local 3 consecutive on a, but the cluster count restarted at b's success
    expect(a.state).toBe('open'); // a's own breaker still protects it
    await sleep(50);
    expect(b.state).toBe('closed');
  });

  it('lets exactly one replica run the half-open trial; its success closes every replica', async () => {
    const stores = [replica(), replica(), replica()];
    const replicas = stores.map((store) => breaker(store));
    await sharing(...stores);
    for (let i = 0; i < 3; i++) await fail(replicas[0]!);
    await waitFor(() => replicas.every((r) => r.state === 'open'));
    await sleep(320);
    let probes = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const probe = async () => {
      probes++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(30);
      inFlight--;
      return 'ok';
    };
    // Every replica keeps calling; only the lease holder's call reaches the dependency.
    const deadline = Date.now() + 10_000;
    const loops = replicas.map(async (r) => {
      while (Date.now() < deadline && !replicas.every((x) => x.state === 'closed')) {
        await r.execute(probe).catch(() => undefined);
        await sleep(5);
      }
    });
    await Promise.all(loops);
    expect(maxInFlight).toBe(1);
    expect(replicas.map((r) => r.state)).toEqual(['closed', 'closed', 'closed']);
    // One probe closed the cluster; later calls are ordinary closed calls of whoever was closed first.
    expect(probes).toBeGreaterThanOrEqual(1);
  });

  it("a failed trial re-opens every replica for a new recovery timeout", async () => {
    const [s1, s2] = [replica(), replica()];
    const a = breaker(s1);
    const b = breaker(s2);
    await sharing(s1, s2);
    for (let i = 0; i < 3; i++) await fail(a);
    await waitFor(() => a.state === 'open' && b.state === 'open');
    await sleep(320);
    // Ask on both until one gets the trial and fails it.
    const changes: string[] = [];
    let halfOpenAt = 0;
    a.onStateChange((c) => changes.push(`a:${c.to}:${c.reason}`));
    b.onStateChange((c) => changes.push(`b:${c.to}:${c.reason}`));
    for (const r of [a, b]) r.onStateChange((c) => void (c.to === 'half-open' && (halfOpenAt = Date.now())));
    await waitFor(() => {
      void fail(a);
      void fail(b);
      return changes.some((c) => c.endsWith('half-open:recovery-timeout'));
    });
    await waitFor(() => changes.some((c) => c.includes(':open:half-open-failure')));
    // Both open again, dated from the re-opening (Redis' clock, to the millisecond): a whole new recovery timeout.
    await waitFor(() => [a, b].every((r) => r.state === 'open' && r.snapshot().openedAt! >= halfOpenAt - 5));
    expect(changes.filter((c) => c.includes('half-open:recovery-timeout'))).toHaveLength(1);
  });

  it('reading a breaker due a trial (state, snapshot, trialDue) never asks Redis for the lease: a replica with calls gets it', async () => {
    const storeA = replica();
    const a = breaker(storeA);
    const b = breaker(replica());
    await sleep(20);
    for (let i = 0; i < 3; i++) await fail(a);
    await waitFor(() => a.state === 'open' && b.state === 'open');
    await sleep(320);
    const asked = jest.spyOn(storeA, 'acquireTrial');
    for (let i = 0; i < 20; i++) {
      expect(a.state).toBe('open');
      expect(a.trialDue).toBe(true);
      expect(a.snapshot().state).toBe('open');
      await sleep(2);
    }
    expect(asked).not.toHaveBeenCalled();
    const inspector = new Redis(url);
    try {
      expect(await inspector.exists(`${prefix}:cb:{dep}:trial`)).toBe(0);
    } finally {
      inspector.disconnect();
    }
    // The replica that has calls to make takes the trial and closes the fleet.
    await waitFor(() => {
      void succeed(b).catch(() => undefined);
      return b.state === 'closed';
    }, 2_000);
    await waitFor(() => a.state === 'closed', 2_000);
  });

  it('with recoveryBackoff, a failed trial lengthens the open period of every replica alike (the cluster counts re-opens)', async () => {
    const backoff = { recoveryTimeout: 200, recoveryBackoff: { multiplier: 3, maxRecoveryTimeout: 5_000 } };
    const a = breaker(replica(), 'dep', backoff);
    const b = breaker(replica(), 'dep', backoff);
    await sleep(20);
    for (let i = 0; i < 3; i++) await fail(a);
    await waitFor(() => a.state === 'open' && b.state === 'open');
    expect([a.currentRecoveryTimeout, b.currentRecoveryTimeout]).toEqual([200, 200]);
    await sleep(220);
    const reopened: string[] = [];
    a.onStateChange((c) => c.reason === 'half-open-failure' && reopened.push('a'));
    b.onStateChange((c) => c.reason === 'half-open-failure' && reopened.push('b'));
    // Both keep calling a dead dependency until one of them runs the trial and fails it.
    await waitFor(() => {
      void fail(a);
      void fail(b);
      return reopened.length > 0;
    }, 2_000);
    await waitFor(() => a.currentRecoveryTimeout === 600 && b.currentRecoveryTimeout === 600, 2_000);
    expect(reopened).toHaveLength(1); // one replica ran the round: the other learnt the count from the cluster
    for (const replicaBreaker of [a, b]) {
      const { openedAt, nextAttemptAt } = replicaBreaker.snapshot();
      expect(nextAttemptAt! - openedAt!).toBeCloseTo(600, 0); // wall-clock times: float noise
    }
  });

  it('admin transitions on one replica reach every replica: forced-open, disabled, reset', async () => {
    const stores = [replica(), replica(), replica()];
    const [a, b, c] = stores.map((store) => breaker(store)) as [CircuitBreakerPolicy, CircuitBreakerPolicy, CircuitBreakerPolicy];
    await sharing(...stores);
    a.forceOpen();
    await waitFor(() => b.state === 'forced-open' && c.state === 'forced-open');
    b.disable();
    await waitFor(() => a.state === 'disabled' && c.state === 'disabled');
    c.reset();
    await waitFor(() => a.state === 'closed' && b.state === 'closed');
  });

  it('a replica that starts while the cluster breaker is open starts open, dated from the cluster', async () => {
    const [s1, s2] = [replica(), replica()];
    const a = breaker(s1, 'dep', { recoveryTimeout: 60_000 });
    const b = breaker(s2, 'dep', { recoveryTimeout: 60_000 });
    await sharing(s1, s2);
    for (let i = 0; i < 3; i++) await fail(a);
    await waitFor(() => b.state === 'open'); // the cluster has opened
    const openedAt = b.snapshot().openedAt!;
    await sleep(1_000);
    const late = breaker(replica(), 'dep', { recoveryTimeout: 60_000 });
    await waitFor(() => late.state === 'open');
    // Dated from the cluster's opening, a second before it started; not from its own start.
    expect(Math.abs(late.snapshot().openedAt! - openedAt)).toBeLessThan(500);
  });

  it('keeps per-key breakers apart: one key open, the same name with another key closed', async () => {
    const s1 = replica();
    const s2 = replica();
    const acme1 = breaker(s1, 'partner-api', { key: 'acme' });
    const acme2 = breaker(s2, 'partner-api', { key: 'acme' });
    const globex2 = breaker(s2, 'partner-api', { key: 'globex:eu' });
    await sharing(s1, s2);
    for (let i = 0; i < 3; i++) await fail(acme1);
    await waitFor(() => acme2.state === 'open');
    await sleep(30);
    expect(globex2.state).toBe('closed');
    expect(s2.attachedIds().sort()).toEqual(['partner-api:acme', 'partner-api:globex%3Aeu']);
    s2.detachCircuitBreaker(globex2);
    expect(s2.attachedIds()).toEqual(['partner-api:acme']);
  });

  it('shares a retry budget: retries beyond the fleet share are refused', async () => {
    const s1 = replica({ retryBudget: { ratio: 0.1, minRetriesPerSecond: 0, maxTokens: 5 } });
    const s2 = replica({ retryBudget: { ratio: 0.1, minRetriesPerSecond: 0, maxTokens: 5 } });
    await sharing(s1, s2);
    const b1 = s1.retryBudget('flaky')!;
    const b2 = s2.retryBudget('flaky')!;
    expect(s1.retryBudget('flaky')).toBe(b1);
    let granted = 0;
    await synced(s1, () => {
      for (let i = 0; i < 5; i++) if (b1.tryRetry()) granted++;
    }); // the fleet bucket is empty
    expect(granted).toBe(5);
    await synced(s2, () => b2.recordCall()); // replica 2's sync learns the fleet's balance
    expect(b2.tryRetry()).toBe(false);
    await synced(s2, () => {
      for (let i = 0; i < 20; i++) b2.recordCall(); // 20 calls = 2 tokens for the fleet
    });
    await synced(s1, () => b1.recordCall());
    let again = 0;
    for (let i = 0; i < 5; i++) if (b1.tryRetry()) again++;
    expect(again).toBe(2);
    expect(replica().retryBudget('flaky')).toBeUndefined();
  });

  it('fails start-up with the field named for bad options', () => {
    const client = new Redis(url, { lazyConnect: true });
    expect(() => redisStore({ client, flushIntervalMs: -1 })).toThrow(InvalidOptionsError);
    expect(() => redisStore({ client, flushIntervalMs: -1 })).toThrow(/redisStore\.flushIntervalMs must be a positive number/);
    expect(() => redisStore({ client, retryBudget: { ratio: 2 } })).toThrow(/redisStore\.retryBudget\.ratio/);
    expect(() => redisStore({ client: {} as Redis })).toThrow(/redisStore\.client must be an ioredis client/);
    expect(() => redisStore({ client, nope: 1 } as never)).toThrow(/redisStore\.nope is not an option/);
    // Timers: longer than the longest timer delay, Node would fire them at once.
    for (const field of ['flushIntervalMs', 'commandTimeoutMs', 'redisRecoveryTimeout'] as const) {
      expect(() => redisStore({ client, [field]: 3e9 })).toThrow(`redisStore.${field} must be at most 2147483647 ms (the longest timer delay) (got 3000000000)`);
    }
    client.disconnect();
  });

  describe('when Redis goes away', () => {
    let server: RedisServerHandle;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await server.stop();
    });

    it('no call fails because of Redis; the breakers are local-only, logged once; resynced when it returns', async () => {
      const warnings: string[] = [];
      const logs: string[] = [];
      const logger = { log: (m: string) => logs.push(m), warn: (m: string) => warnings.push(m) };
      const s1 = replica({ logger, redisRecoveryTimeout: 200, commandTimeoutMs: 400 }, server.url);
      const s2 = replica({ logger: quietLogger, redisRecoveryTimeout: 200, commandTimeoutMs: 400 }, server.url);
      const a = breaker(s1, 'dep', { recoveryTimeout: 60_000 });
      const b = breaker(s2, 'dep', { recoveryTimeout: 60_000, failureThreshold: 1_000 });
      await sharing(s1, s2);
      await server.kill();
      for (let i = 0; i < 100; i++) {
        expect(await succeed(a)).toBe('ok');
        expect(await fail(b)).toEqual(new Error('down')); // the call's own outcome, nothing from Redis
        expect(await b.execute(() => 'ok')).toBe('ok');
        await sleep(1);
      }
      await waitFor(() => !s1.connected && warnings.length > 0);
      expect(warnings.filter((w) => w.includes('local-only'))).toHaveLength(1);
      // Local breakers still work: three local failures open a's breaker.
      for (let i = 0; i < 3; i++) await fail(a);
      expect(a.state).toBe('open');
      a.reset();
      await server.restart();
      await sharing(s1, s2);
      expect(logs.filter((l) => l.includes('reachable again'))).toHaveLength(1);
      a.forceOpen();
      await waitFor(() => b.state === 'forced-open');
    });

    it('a stalled Redis costs no call any time: every call ends while Redis answers nothing; the store goes local-only, then comes back', async () => {
      const warnings: string[] = [];
      const s1 = replica({ redisRecoveryTimeout: 200, commandTimeoutMs: 300, logger: { log: () => undefined, warn: (m: string) => warnings.push(m) } }, server.url);
      const a = breaker(s1, 'slow-dep');
      await sharing(s1);
      const admin = new Redis(server.url);
      const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))![1]);
      process.kill(pid, 'SIGSTOP'); // Redis hangs: connections stay open, nothing is answered
      try {
        let answered = false;
        void admin.ping().then(() => (answered = true));
        for (let i = 0; i < 100; i++) {
          expect(await fail(a)).toEqual(new Error('down')); // failures are sent at once: each batch waits on the stalled Redis
          a.reset();
          await sleep(1);
        }
        // Every call above ended while Redis had not answered anything: none of them waited for it.
        expect(answered).toBe(false);
        await waitFor(() => !s1.connected && warnings.length > 0);
        expect(warnings.filter((w) => w.includes('local-only'))).toHaveLength(1);
        a.forceOpen(); // nothing here needs the dependency; the store's own probe finds Redis again
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      await waitFor(() => s1.connected);
      admin.disconnect();
    });

    it('a manual transition made while Redis is down reaches the other replicas once it is back, even from an idle store', async () => {
      const s1 = replica({ redisRecoveryTimeout: 200 }, server.url);
      const s2 = replica({ redisRecoveryTimeout: 200 }, server.url);
      const a = breaker(s1, 'idle-dep');
      const b = breaker(s2, 'idle-dep');
      await sharing(s1, s2);
      await server.kill();
      // Traffic on s1 makes its store notice the outage (local-only), then s1 goes idle.
      for (let i = 0; i < 5; i++) {
        await succeed(a);
        await sleep(120);
      }
      expect(s1.connected).toBe(false);
      a.forceOpen(); // cannot reach the cluster now
      await sleep(50);
      await server.restart();
      await waitFor(() => b.state === 'forced-open');
      expect(s1.connected).toBe(true);
    });
  });
});
