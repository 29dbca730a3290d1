import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ACQUIRE_TRIAL, READ_STATE, RECORD_OUTCOMES, TRANSITION } from '../src/lua/breaker.scripts.js';
import { SYNC_RETRY_BUDGET } from '../src/lua/retry-budget.script.js';
import { ScriptRunner, type ScriptCall } from '../src/lua/script-runner.js';
import { sharedRedisUrl } from './support/redis-server.js';

/** A cluster state as the breaker scripts answer it: state, ms since it opened, generation, repaired (0/1), re-opens in a row. */
type Answer = [state: string, ageMs: number, gen: number, repaired: number, reopens: number];

/** The scripts on a real Redis: counts, transitions, leases, validation, and atomicity under concurrent replicas. */
describe('Lua scripts', () => {
  let url: string;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  let admin: Redis;
  let prefix: string;
  let seq = 0;

  beforeAll(async () => {
    url = await sharedRedisUrl();
    prefix = `lua-spec-${process.pid}-${Date.now()}`;
    admin = client();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  });

  /** The answers of a batch, every call answered without an error. */
  const run = async <T = Answer>(runner: ScriptRunner, ...calls: ScriptCall[]): Promise<T[]> =>
    (await runner.batch(calls)).map((result) => {
      if (!result.ok) throw result.error;
      return result.value as T;
    });
  const one = async <T = Answer>(runner: ScriptRunner, call: ScriptCall): Promise<T> => (await run<T>(runner, call))[0]!;
  const redisNow = async (): Promise<number> => {
    const [seconds, micros] = await admin.time();
    return Number(seconds) * 1_000 + Math.floor(Number(micros) / 1_000);
  };

  const consecutive = (hash: string, channel: string, origin: string, successes: number, failures: number, trailing: number, hadSuccess: boolean, threshold = 5): ScriptCall => ({
    script: RECORD_OUTCOMES,
    keys: [hash],
    args: [channel, 'b', origin, 60_000, 'consecutive', successes, failures, 0, trailing, hadSuccess ? 1 : 0, threshold, 0, 100, 10, 50, 100],
  });
  const read = (hash: string): ScriptCall => ({ script: READ_STATE, keys: [hash], args: [] });
  const acquire = (hash: string, lease: string, origin: string, recovery: number, leaseMs = 5_000): ScriptCall => ({
    script: ACQUIRE_TRIAL,
    keys: [hash, lease],
    args: [origin, recovery, leaseMs, 60_000],
  });
  const verdict = (hash: string, lease: string, channel: string, origin: string, to: string, leaseGen: number): ScriptCall => ({
    script: TRANSITION,
    keys: [hash, lease],
    args: [channel, 'b', origin, 60_000, to, 'verdict', 'half-open-success', leaseGen],
  });
  const manual = (hash: string, lease: string, channel: string, to: string): ScriptCall => ({
    script: TRANSITION,
    keys: [hash, lease],
    args: [channel, 'b', 'admin', 60_000, to, 'manual', 'manual', ''],
  });
  const fresh = (): { hash: string; lease: string; channel: string } => {
    const hash = `${prefix}:cb:{${++seq}}`;
    return { hash, lease: `${hash}:trial`, channel: `${prefix}:events:${seq}` };
  };

  it('counts consecutive failures across batches, a success in a batch restarts the count, and opens at the threshold', async () => {
    const runner = new ScriptRunner(client());
    const { hash, channel } = fresh();
    const before = await redisNow();
    const [state, age, created] = await one(runner, consecutive(hash, channel, 'r1', 0, 3, 3, false));
    // A new hash's generations start at Redis' time (ms).
    expect([state, age]).toEqual(['closed', 0]);
    expect(created).toBeGreaterThanOrEqual(before);
    // A batch with a success: only the failures after it count.
    await run(runner, consecutive(hash, channel, 'r2', 1, 2, 1, true));
    expect(await admin.hget(hash, 'failures')).toBe('1');
    const opened = await one(runner, consecutive(hash, channel, 'r1', 0, 4, 4, false));
    expect(opened[0]).toBe('open');
    expect(opened[2]).toBe(created + 1);
    expect(opened[1]).toBeGreaterThanOrEqual(0);
    expect(opened[3]).toBe(0);
    // Further outcomes while open are not counted and change nothing.
    expect((await one(runner, consecutive(hash, channel, 'r1', 0, 9, 9, false)))[0]).toBe('open');
    expect(await admin.hget(hash, 'failures')).toBeNull();
    expect(await admin.pttl(hash)).toBeGreaterThan(50_000);
  });

  it('is atomic: 5 replicas x 40 concurrent batches of one failure open the breaker exactly once, published once', async () => {
    const { hash, channel } = fresh();
    const sub = client();
    const messages: string[] = [];
    await sub.subscribe(channel);
    sub.on('message', (_c: string, m: string) => messages.push(m));
    const replicas = Array.from({ length: 5 }, () => new ScriptRunner(client()));
    const threshold = 150;
    const answers = await Promise.all(
      replicas.flatMap((runner, r) => Array.from({ length: 40 }, () => one(runner, consecutive(hash, channel, `r${r}`, 0, 1, 1, false, threshold)))),
    );
    const states = answers.map((a) => a[0]);
    // 200 increments: the 150th opens; exactly 150 batches saw "closed" before their own increment opened it or not.
    expect(states.filter((s) => s === 'open').length).toBe(200 - 149);
    const gens = new Set(answers.filter((a) => a[0] === 'open').map((a) => a[2]));
    expect(gens.size).toBe(1);
    const openGen = [...gens][0]!;
    expect(Number(await admin.hget(hash, 'gen'))).toBe(openGen);
    await waitUntil(() => messages.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!)).toMatchObject({ id: 'b', state: 'open', gen: openGen, ageMs: 0, origin: expect.stringMatching(/^r\d$/) });
  });

  it('concurrent increments below the threshold add up exactly (no lost update)', async () => {
    const { hash, channel } = fresh();
    const replicas = Array.from({ length: 5 }, () => new ScriptRunner(client()));
    await Promise.all(replicas.flatMap((runner) => Array.from({ length: 30 }, () => run(runner, consecutive(hash, channel, 'r', 0, 2, 2, false, 1_000)))));
    expect(await admin.hget(hash, 'failures')).toBe('300');
  });

  it('rate mode: opens on the failure rate over the window once minimumCalls is reached', async () => {
    const runner = new ScriptRunner(client());
    const { hash, channel } = fresh();
    const rate = (successes: number, failures: number): ScriptCall => ({
      script: RECORD_OUTCOMES,
      keys: [hash],
      args: [channel, 'b', 'r1', 60_000, 'rate', successes, failures, 0, 0, 0, 5, 10_000, 1_000, 10, 50, 100],
    });
    expect((await one(runner, rate(2, 6)))[0]).toBe('closed'); // 8 calls < minimumCalls
    expect((await one(runner, rate(3, 0)))[0]).toBe('open'); // 11 calls, 6 failed = 54.5%
  });

  it('grants one trial lease at a time, only after the recovery timeout, for the open generation; a verdict needs the lease', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    const [, , gen] = await one(runner, consecutive(hash, channel, 'r1', 0, 5, 5, false));
    expect((await one<unknown[]>(runner, acquire(hash, lease, 'r1', 60_000))).slice(0, 2)).toEqual([0, 'open']);
    const grants = (await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map((o) => one<unknown[]>(runner, acquire(hash, lease, o, 0))))).map((a) => a[0]);
    expect(grants.filter((g) => g === 1)).toHaveLength(1);
    const holder = (await admin.get(lease))!;
    expect(holder).toMatch(new RegExp(`^r\\d:${gen}$`));
    const origin = holder.split(':')[0]!;
    const other = origin === 'r1' ? 'r2' : 'r1';
    // Not the holder: refused (sixth element 1), the cluster state unchanged.
    expect(await one<unknown[]>(runner, verdict(hash, lease, channel, other, 'closed', gen))).toEqual(['open', expect.any(Number), gen, 0, 0, 1]);
    const closed = await one<unknown[]>(runner, verdict(hash, lease, channel, origin, 'closed', gen));
    expect(closed).toEqual(['closed', 0, gen + 1, 0, 0, 0]);
    expect(await admin.exists(lease)).toBe(0);
  });

  it('a verdict whose lease expired counts while nothing happened since, and is refused once another round started', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    const [, , gen] = await one(runner, consecutive(hash, channel, 'r1', 0, 5, 5, false));
    expect((await one<unknown[]>(runner, acquire(hash, lease, 'r1', 0, 1)))[0]).toBe(1);
    await waitUntil(async () => (await admin.exists(lease)) === 0);
    // r1's trial outlived its lease, nobody else started a round: its verdict is the cluster's.
    expect(await one<unknown[]>(runner, verdict(hash, lease, channel, 'r1', 'open', gen))).toEqual(['open', expect.any(Number), gen + 1, 0, 0, 0]);

    expect((await one<unknown[]>(runner, acquire(hash, lease, 'r1', 0, 1)))[0]).toBe(1);
    await waitUntil(async () => (await admin.exists(lease)) === 0);
    expect((await one<unknown[]>(runner, acquire(hash, lease, 'r2', 0, 60_000)))[0]).toBe(1);
    // r2 runs the round now: r1's late verdict is stale, whatever it says.
    expect(await one<unknown[]>(runner, verdict(hash, lease, channel, 'r1', 'closed', gen + 1))).toEqual(['open', expect.any(Number), gen + 1, 0, 0, 1]);
    // And once r2's round ended (a new generation), r1's is stale too, lease or not.
    expect((await one<unknown[]>(runner, verdict(hash, lease, channel, 'r2', 'closed', gen + 1)))[0]).toBe('closed');
    expect(await one<unknown[]>(runner, verdict(hash, lease, channel, 'r1', 'open', gen + 1))).toEqual(['closed', 0, gen + 2, 0, 0, 1]);
  });

  it('counts re-opens in a row (a failed or abandoned round), publishes the count, and starts again on any other transition', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    const sub = client();
    const messages: Array<Record<string, unknown>> = [];
    await sub.subscribe(channel);
    sub.on('message', (_c: string, m: string) => messages.push(JSON.parse(m) as Record<string, unknown>));
    await one(runner, consecutive(hash, channel, 'r1', 0, 5, 5, false));
    const reopen = async (reason: string): Promise<number> => {
      const [, , gen] = await one(runner, read(hash));
      await admin.set(lease, `r1:${gen}`, 'PX', 10_000);
      const answer = await one<unknown[]>(runner, { script: TRANSITION, keys: [hash, lease], args: [channel, 'b', 'r1', 60_000, 'open', 'verdict', reason, gen] });
      expect(answer[5]).toBe(0); // applied
      return answer[4] as number;
    };
    expect(await reopen('half-open-failure')).toBe(1);
    expect(await reopen('half-open-timeout')).toBe(2);
    expect((await one(runner, manual(hash, lease, channel, 'forced-open')))[4]).toBe(2); // forcing open keeps the count
    expect((await one(runner, manual(hash, lease, channel, 'closed')))[4]).toBe(0);
    await waitUntil(async () => messages.length === 5);
    expect(messages.map((m) => [m['state'], m['reopens']])).toEqual([
      ['open', 0],
      ['open', 1],
      ['open', 2],
      ['forced-open', 2],
      ['closed', 0],
    ]);
  });

  it('grants the lease only once the grown open period is over, judged from the cluster count of re-opens', async () => {
    const { hash, lease } = fresh();
    const runner = new ScriptRunner(client());
    // Opened 2.5 s ago, after 2 re-opens in a row: with a base of 1 s doubling, the period is 4 s.
    await admin.hset(hash, 'state', 'open', 'openedAt', (await redisNow()) - 2_500, 'gen', 7, 'reopens', 2);
    const acquireGrown = (...growth: number[]): ScriptCall => ({ script: ACQUIRE_TRIAL, keys: [hash, lease], args: ['r1', 1_000, 1_000, 60_000, ...growth] });
    const refused = await one<unknown[]>(runner, acquireGrown(2, 10_000));
    expect(refused[0]).toBe(0);
    expect(refused[5]).toBe(2);
    expect(await admin.exists(lease)).toBe(0);
    // Capped at 2 s: over.
    expect((await one<unknown[]>(runner, acquireGrown(2, 2_000)))[0]).toBe(1);
    await admin.del(lease);
    // Without growth arguments the period is the base (a store whose breakers have no recoveryBackoff).
    expect((await one<unknown[]>(runner, acquireGrown()))[0]).toBe(1);
  });

  it('repairs a re-open count that is not a whole number', async () => {
    const { hash } = fresh();
    const runner = new ScriptRunner(client());
    await admin.hset(hash, 'state', 'open', 'openedAt', await redisNow(), 'gen', 7, 'reopens', 'lots');
    const [state, , , repaired, reopens] = await one(runner, read(hash));
    expect([state, repaired, reopens]).toEqual(['open', 1, 0]);
    expect(await admin.hexists(hash, 'reopens')).toBe(0);
  });

  it('manual transitions always apply and drop the lease; reads answer "none" for unknown breakers', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    expect(await run(runner, read(hash))).toEqual([['none', 0, 0, 0, 0]]);
    await admin.set(lease, 'someone:1', 'PX', 10_000);
    const forced = await one(runner, manual(hash, lease, channel, 'forced-open'));
    expect(forced[0]).toBe('forced-open');
    expect(await admin.exists(lease)).toBe(0);
    expect((await one(runner, read(hash)))[0]).toBe('forced-open');
  });

  it("generations never go back: a hash re-created after it expired starts above the old one's", async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    await run(runner, manual(hash, lease, channel, 'forced-open'));
    const [, , first] = await one(runner, manual(hash, lease, channel, 'closed'));
    await admin.del(hash); // as if it expired
    await new Promise((resolve) => setTimeout(resolve, 5));
    const [, , again] = await one(runner, manual(hash, lease, channel, 'forced-open'));
    expect(again).toBeGreaterThan(first);
  });

  describe('invalid data in a hash is repaired for that breaker alone', () => {
    it('a non-numeric openedAt: the breaker stays open, dated now; flagged repaired', async () => {
      const { hash, lease, channel } = fresh();
      const runner = new ScriptRunner(client());
      await run(runner, manual(hash, lease, channel, 'forced-open'));
      await admin.hset(hash, 'openedAt', 'abc');
      const [state, age, , repaired] = await one(runner, read(hash));
      expect([state, repaired]).toEqual(['forced-open', 1]);
      expect(age).toBeGreaterThanOrEqual(0);
      expect(age).toBeLessThan(60_000);
      expect(await admin.hget(hash, 'openedAt')).toMatch(/^\d+$/);
      expect((await one(runner, read(hash)))[3]).toBe(0); // repaired once, valid since
    });

    it('an openedAt in the future (it would pin the breaker open) is dated now', async () => {
      const { hash, lease, channel } = fresh();
      const runner = new ScriptRunner(client());
      await run(runner, manual(hash, lease, channel, 'forced-open'));
      await admin.hset(hash, 'openedAt', '99999999999999');
      const [, age, , repaired] = await one(runner, read(hash));
      expect(repaired).toBe(1);
      expect(age).toBeLessThan(60_000);
    });

    it('an unknown state drops the hash; a bad generation restarts from Redis time; bad counts are cleared', async () => {
      const runner = new ScriptRunner(client());
      const a = fresh();
      await admin.hset(a.hash, 'state', 'exploded', 'gen', '7');
      expect(await one(runner, read(a.hash))).toEqual(['none', 0, 0, 1, 0]);
      expect(await admin.exists(a.hash)).toBe(0);

      const b = fresh();
      const before = await redisNow();
      await admin.hset(b.hash, 'state', 'closed', 'gen', '1e15');
      const [, , gen, repaired] = await one(runner, read(b.hash));
      expect(repaired).toBe(1);
      expect(gen).toBeGreaterThanOrEqual(before);
      expect(gen).toBeLessThan(before + 60_000);

      const c = fresh();
      await admin.hset(c.hash, 'state', 'closed', 'gen', '5', 'failures', 'lots');
      const counted = await one(runner, consecutive(c.hash, c.channel, 'r1', 0, 2, 2, false));
      expect(counted[3]).toBe(1);
      expect(await admin.hget(c.hash, 'failures')).toBe('2');
    });

    it('a breaker key of another type is dropped, and a lease of another type too', async () => {
      const runner = new ScriptRunner(client());
      const a = fresh();
      await admin.set(a.hash, 'not a hash');
      expect((await one(runner, consecutive(a.hash, a.channel, 'r1', 0, 1, 1, false)))[3]).toBe(1);
      expect(await admin.type(a.hash)).toBe('hash');
      const b = fresh();
      await run(runner, consecutive(b.hash, b.channel, 'r1', 0, 5, 5, false));
      await admin.hset(b.lease, 'x', '1');
      const [granted, , , , repaired] = await one<unknown[]>(runner, acquire(b.hash, b.lease, 'r1', 0));
      expect([granted, repaired]).toEqual([1, 1]);
    });

    it("one breaker's bad data never fails the other calls of a batch", async () => {
      const runner = new ScriptRunner(client());
      const good = fresh();
      const bad = fresh();
      await admin.hset(bad.hash, 'state', 'open', 'openedAt', 'abc', 'gen', 'x', 'failures', '-3');
      await admin.set(bad.lease, 'whatever');
      const results = await runner.batch([
        consecutive(good.hash, good.channel, 'r1', 0, 5, 5, false),
        consecutive(bad.hash, bad.channel, 'r1', 0, 1, 1, false),
        acquire(bad.hash, bad.lease, 'r1', 0),
        read(good.hash),
      ]);
      expect(results.every((result) => result.ok)).toBe(true);
      expect(results.map((result) => (result as { value: unknown[] }).value[0])).toEqual(['open', 'open', 0, 'open']);
    });
  });

  it("isolates a call Redis answers with an error (a script failing on its data): the others' answers are kept", async () => {
    const runner = new ScriptRunner(client());
    const { hash } = fresh();
    const failing: ScriptCall = { script: `return redis.call('HGET', KEYS[1], 'x') + 1`, keys: [`${prefix}:other`], args: [] };
    const [broken, fine] = await runner.batch([failing, read(hash)]);
    expect(broken!.ok).toBe(false);
    expect(fine).toEqual({ ok: true, value: ['none', 0, 0, 0, 0] });
  });

  it('re-sends with EVAL when Redis has forgotten the scripts (NOSCRIPT after a flush or restart)', async () => {
    const c = client();
    const runner = new ScriptRunner(c);
    const { hash } = fresh();
    await run(runner, read(hash));
    await c.script('FLUSH');
    expect(await run(runner, read(hash))).toEqual([['none', 0, 0, 0, 0]]);
  });

  it('retry budget: calls deposit ratio tokens, retries take one, capped at maxTokens; bad data restarts the bucket', async () => {
    const runner = new ScriptRunner(client());
    const hash = `${prefix}:rb:{${++seq}}`;
    const sync = (calls: number, retries: number): ScriptCall => ({ script: SYNC_RETRY_BUDGET, keys: [hash], args: [calls, retries, 0.1, 0, 20, 60_000] });
    const tokens = async (calls: number, retries: number): Promise<number> => Number(await one<string>(runner, sync(calls, retries)));
    expect(await tokens(0, 0)).toBe(20); // starts full
    expect(await tokens(0, 15)).toBe(5);
    expect(await tokens(30, 0)).toBeCloseTo(8, 6);
    expect(await tokens(1_000, 0)).toBe(20);
    expect(await tokens(0, 50)).toBe(-20); // debt, bounded
    await admin.hset(hash, 'tokens', 'zzz');
    expect(await tokens(0, 1)).toBe(19);
    await admin.del(hash);
    await admin.set(hash, 'a string');
    expect(await tokens(0, 2)).toBe(18);
  });
});

async function waitUntil(check: () => boolean | Promise<boolean>, limitMs = 10_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
