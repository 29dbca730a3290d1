import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { ACQUIRE_TRIAL, READ_STATE, RECORD_OUTCOMES, TRANSITION } from '../src/lua/breaker.scripts.js';
import { SYNC_RETRY_BUDGET } from '../src/lua/retry-budget.script.js';
import { ScriptRunner } from '../src/lua/script-runner.js';
import { sharedRedisUrl } from './support/redis-server.js';

/** The scripts on a real Redis: counts, transitions, leases, and atomicity under concurrent replicas. */
describe('Lua scripts', () => {
  let url: string;
  const clients: Redis[] = [];
  const client = (): Redis => {
    const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    clients.push(c);
    return c;
  };
  let prefix: string;
  let seq = 0;

  beforeAll(async () => {
    url = await sharedRedisUrl();
    prefix = `lua-spec-${process.pid}-${Date.now()}`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
  });

  const consecutive = (hash: string, channel: string, origin: string, successes: number, failures: number, trailing: number, hadSuccess: boolean, threshold = 5) => ({
    script: RECORD_OUTCOMES,
    keys: [hash],
    args: [channel, 'b', origin, 60_000, 'consecutive', successes, failures, 0, trailing, hadSuccess ? 1 : 0, threshold, 0, 100, 10, 50, 100],
  });
  const fresh = (): { hash: string; lease: string; channel: string } => {
    const hash = `${prefix}:cb:${++seq}`;
    return { hash, lease: `${hash}:trial`, channel: `${prefix}:events:${seq}` };
  };

  it('counts consecutive failures across batches, a success in a batch restarts the count, and opens at the threshold', async () => {
    const runner = new ScriptRunner(client());
    const { hash, channel } = fresh();
    expect(await runner.batch([consecutive(hash, channel, 'r1', 0, 3, 3, false)])).toEqual([['closed', 0, 0, 0]]);
    // A batch with a success: only the failures after it count.
    await runner.batch([consecutive(hash, channel, 'r2', 1, 2, 1, true)]);
    expect(await client().hget(hash, 'failures')).toBe('1');
    const [answer] = (await runner.batch([consecutive(hash, channel, 'r1', 0, 4, 4, false)])) as [[string, number, number]];
    expect(answer[0]).toBe('open');
    expect(answer[2]).toBe(1);
    expect(answer[1]).toBeGreaterThanOrEqual(0);
    expect(answer[1]).toBeLessThan(1_000);
    // Further outcomes while open are not counted and change nothing.
    expect(((await runner.batch([consecutive(hash, channel, 'r1', 0, 9, 9, false)])) as [[string, number, number]])[0][0]).toBe('open');
    expect(await client().hget(hash, 'failures')).toBeNull();
    expect(await client().pttl(hash)).toBeGreaterThan(50_000);
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
      replicas.flatMap((runner, r) => Array.from({ length: 40 }, () => runner.batch([consecutive(hash, channel, `r${r}`, 0, 1, 1, false, threshold)]))),
    );
    const states = answers.map((a) => (a as [[string]])[0][0]);
    // 200 increments: the 150th opens; exactly 150 batches saw "closed" before their own increment opened it or not.
    expect(states.filter((s) => s === 'open').length).toBe(200 - 149);
    expect(await client().hget(hash, 'gen')).toBe('1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(messages).toHaveLength(1);
    expect(JSON.parse(messages[0]!)).toMatchObject({ id: 'b', state: 'open', gen: 1, origin: expect.stringMatching(/^r\d$/) });
  });

  it('concurrent increments below the threshold add up exactly (no lost update)', async () => {
    const { hash, channel } = fresh();
    const replicas = Array.from({ length: 5 }, () => new ScriptRunner(client()));
    await Promise.all(replicas.flatMap((runner) => Array.from({ length: 30 }, () => runner.batch([consecutive(hash, channel, 'r', 0, 2, 2, false, 1_000)]))));
    expect(await client().hget(hash, 'failures')).toBe('300');
  });

  it('rate mode: opens on the failure rate over the window once minimumCalls is reached', async () => {
    const runner = new ScriptRunner(client());
    const { hash, channel } = fresh();
    const rate = (successes: number, failures: number) => ({
      script: RECORD_OUTCOMES,
      keys: [hash],
      args: [channel, 'b', 'r1', 60_000, 'rate', successes, failures, 0, 0, 0, 5, 10_000, 1_000, 10, 50, 100],
    });
    expect(((await runner.batch([rate(2, 6)])) as [[string]])[0][0]).toBe('closed'); // 8 calls < minimumCalls
    expect(((await runner.batch([rate(3, 0)])) as [[string]])[0][0]).toBe('open'); // 11 calls, 6 failed = 54.5%
  });

  it('grants one trial lease at a time, only after the recovery timeout, and a verdict needs the lease', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    await runner.batch([consecutive(hash, channel, 'r1', 0, 5, 5, false)]);
    const acquire = (origin: string, recovery: number) => ({ script: ACQUIRE_TRIAL, keys: [hash, lease], args: [origin, recovery, 5_000, 60_000] });
    expect(((await runner.batch([acquire('r1', 60_000)])) as [[number, string]])[0].slice(0, 2)).toEqual([0, 'open']);
    const grants = (await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map((o) => runner.batch([acquire(o, 0)])))).map((a) => (a as [[number]])[0][0]);
    expect(grants.filter((g) => g === 1)).toHaveLength(1);
    const holder = await client().get(lease);
    const other = holder === 'r1' ? 'r2' : 'r1';
    const verdict = (origin: string, to: string) => ({ script: TRANSITION, keys: [hash, lease], args: [channel, 'b', origin, 60_000, to, 'verdict', 'half-open-success'] });
    // Not the holder: ignored.
    expect(((await runner.batch([verdict(other, 'closed')])) as [[string]])[0][0]).toBe('open');
    const [closed] = (await runner.batch([verdict(holder!, 'closed')])) as [[string, number, number]];
    expect(closed[0]).toBe('closed');
    expect(closed[2]).toBe(2);
    expect(await client().exists(lease)).toBe(0);
  });

  it('counts re-opens in a row (a failed or abandoned round), publishes the count, and starts again on any other transition', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    const sub = client();
    const messages: Array<Record<string, unknown>> = [];
    await sub.subscribe(channel);
    sub.on('message', (_c: string, m: string) => messages.push(JSON.parse(m) as Record<string, unknown>));
    await runner.batch([consecutive(hash, channel, 'r1', 0, 5, 5, false)]);
    const reopen = async (reason: string): Promise<number> => {
      await client().set(lease, 'r1', 'PX', 10_000);
      const [answer] = (await runner.batch([{ script: TRANSITION, keys: [hash, lease], args: [channel, 'b', 'r1', 60_000, 'open', 'verdict', reason] }])) as [
        [string, number, number, number],
      ];
      return answer[3];
    };
    expect(await reopen('half-open-failure')).toBe(1);
    expect(await reopen('half-open-timeout')).toBe(2);
    const forced = (await runner.batch([{ script: TRANSITION, keys: [hash, lease], args: [channel, 'b', 'r1', 60_000, 'forced-open', 'manual', 'manual'] }])) as [
      [string, number, number, number],
    ];
    expect(forced[0][3]).toBe(2); // forcing open keeps the count
    const closed = (await runner.batch([{ script: TRANSITION, keys: [hash, lease], args: [channel, 'b', 'r1', 60_000, 'closed', 'manual', 'manual'] }])) as [
      [string, number, number, number],
    ];
    expect(closed[0]).toEqual(['closed', 0, 5, 0]);
    await new Promise((resolve) => setTimeout(resolve, 30));
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
    const [seconds, micros] = await client().time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    // Opened 2.5 s ago, after 2 re-opens in a row: with a base of 1 s doubling, the period is 4 s.
    await client().hset(hash, 'state', 'open', 'openedAt', now - 2_500, 'gen', 7, 'reopens', 2);
    const acquire = (...growth: number[]) => ({ script: ACQUIRE_TRIAL, keys: [hash, lease], args: ['r1', 1_000, 1_000, 60_000, ...growth] });
    const [refused] = (await runner.batch([acquire(2, 10_000)])) as [[number, string, number, number, number]];
    expect(refused[0]).toBe(0);
    expect(refused[4]).toBe(2);
    expect(await client().exists(lease)).toBe(0);
    // Capped at 2 s: over.
    expect(((await runner.batch([acquire(2, 2_000)])) as [[number]])[0][0]).toBe(1);
    await client().del(lease);
    // Without growth arguments the period is the base (a store whose breakers have no recoveryBackoff).
    expect(((await runner.batch([acquire()])) as [[number]])[0][0]).toBe(1);
  });

  it('manual transitions always apply and drop the lease; reads answer "none" for unknown breakers', async () => {
    const { hash, lease, channel } = fresh();
    const runner = new ScriptRunner(client());
    expect(await runner.batch([{ script: READ_STATE, keys: [hash], args: [] }])).toEqual([['none', 0, 0, 0]]);
    await client().set(lease, 'someone', 'PX', 10_000);
    const [forced] = (await runner.batch([{ script: TRANSITION, keys: [hash, lease], args: [channel, 'b', 'r1', 60_000, 'forced-open', 'manual', 'manual'] }])) as [[string, number, number]];
    expect(forced[0]).toBe('forced-open');
    expect(await client().exists(lease)).toBe(0);
    expect(((await runner.batch([{ script: READ_STATE, keys: [hash], args: [] }])) as [[string]])[0][0]).toBe('forced-open');
  });

  it('re-sends with EVAL when Redis has forgotten the scripts (NOSCRIPT after a flush or restart)', async () => {
    const c = client();
    const runner = new ScriptRunner(c);
    const { hash } = fresh();
    await runner.batch([{ script: READ_STATE, keys: [hash], args: [] }]);
    await c.script('FLUSH');
    expect(await runner.batch([{ script: READ_STATE, keys: [hash], args: [] }])).toEqual([['none', 0, 0, 0]]);
  });

  it('retry budget: calls deposit ratio tokens, retries take one, capped at maxTokens', async () => {
    const runner = new ScriptRunner(client());
    const hash = `${prefix}:rb:${++seq}`;
    const sync = (calls: number, retries: number) => ({ script: SYNC_RETRY_BUDGET, keys: [hash], args: [calls, retries, 0.1, 0, 20, 60_000] });
    expect(Number((await runner.batch([sync(0, 0)]))[0])).toBe(20); // starts full
    expect(Number((await runner.batch([sync(0, 15)]))[0])).toBe(5);
    expect(Number((await runner.batch([sync(30, 0)]))[0])).toBeCloseTo(8, 6);
    expect(Number((await runner.batch([sync(1_000, 0)]))[0])).toBe(20);
    expect(Number((await runner.batch([sync(0, 50)]))[0])).toBe(-20); // debt, bounded
  });
});
