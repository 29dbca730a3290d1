import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { machineNow, sleep, waitFor } from '@bulwark/local-cluster';
import { countByStatus, ReplicaLoad, type UserCall } from './support/replica-load.js';
import { startReplicas, stopReplicas, type BreakerState, type ReplicaProcess } from './support/replica-process.js';
import { startRedisServer, type RedisServerHandle } from './support/redis-server.js';
import { TestDownstream } from './support/test-downstream.js';

// Three replica processes with the Redis store under steady traffic; redis-server is SIGKILLed
// mid-run (this spec owns its server: it never touches a shared one), the downstream dies while
// Redis is away, then both come back.
const REPLICAS = 3;
const THRESHOLD = 5;
const RECOVERY_MS = 1_000;
const CALL_INTERVAL_MS = 15;
const WARMUP_CALLS = 10;
/** Steady traffic with Redis up, after the warm-up and before the kill (the latency baseline). */
const STEADY_MS = 500;
/** How long the replicas serve with Redis gone before the downstream dies. */
const OUTAGE_MS = 1_500;
/** A force-open after Redis is back: how fast it reached every replica is reported against this (not asserted). */
const MAX_RESYNCED_ADMIN_MS = 1_000;
/** How long the spec waits for a replica to show a state: generous, a loaded machine only makes it slower. */
const SEEN_LIMIT_MS = 10_000;

interface OutageFigures {
  warmup: Record<number, number>;
  callsWhileRedisDown: number;
  failedWhileRedisDown: number;
  latencyBefore: Percentiles;
  latencyWhileRedisDown: Percentiles;
  deadDownstreamCalls: number;
  openReasons: string[];
  redisBackMs: number;
  allClosedMs: number;
  forceOpenAfterRestartMs: number;
  forceOpenSeenMs: number[];
}

interface Percentiles {
  p50: number;
  p99: number;
  max: number;
}

const startedAt = machineNow();
let figures: Partial<OutageFigures> = {};
const downstream = new TestDownstream();
let redis: RedisServerHandle;
let replicas: ReplicaProcess[] = [];

beforeAll(async () => {
  [redis] = await Promise.all([startRedisServer(), downstream.start()]);
  replicas = await startReplicas(REPLICAS, {
    downstreamUrl: downstream.url,
    redisUrl: redis.url,
    prefix: `bulwark-outage-${process.pid}-${Date.now()}`,
    failureThreshold: THRESHOLD,
    recoveryTimeoutMs: RECOVERY_MS,
  });
}, 30_000);

afterAll(async () => {
  await stopReplicas(replicas);
  await Promise.all([downstream.stop(), redis?.stop()]);
  console.log(report(machineNow() - startedAt));
});

describe(`${REPLICAS} replicas when Redis dies and comes back`, () => {
  it('no user call fails because of Redis; the local breakers take over; Redis back, the replicas resync', async () => {
    const load = new ReplicaLoad(replicas, CALL_INTERVAL_MS).start();
    try {
      const warmupFrom = machineNow();
      const served = (replica: ReplicaProcess): number => load.calls.filter((call) => call.replica === replica.id && call.status === 200).length;
      await waitFor(() => replicas.every((replica) => served(replica) >= WARMUP_CALLS), 'warm-up calls', 10_000);
      const steadyFrom = machineNow(); // the latency to compare with: warm replicas, Redis up
      await sleep(STEADY_MS);

      // 1. Redis is SIGKILLed under steady traffic to a healthy downstream: every call still 200.
      const killAt = machineNow();
      await redis.kill();
      await sleep(OUTAGE_MS);

      // 2. The downstream dies while Redis is away: each replica's own breaker opens.
      const deadAt = machineNow();
      downstream.healthy = false;
      await waitFor(() => replicas.every((replica) => replica.firstTo('open', deadAt) !== undefined), 'every local breaker open', 5_000);
      const opens = replicas.map((replica) => replica.firstTo('open', deadAt)!);
      figures.openReasons = opens.map((event) => event.reason ?? '?');
      await sleep(Math.max(0, Math.min(...opens.map((event) => event.at)) + RECOVERY_MS * 0.7 - machineNow()));
      figures.deadDownstreamCalls = downstream.between(deadAt, machineNow()).length;
      expect(figures.openReasons).toEqual(replicas.map(() => 'failure-threshold'));

      // The calls that started with Redis gone and the downstream still healthy (up to 200 ms before
      // it died: a call under way then may meet the dead downstream) all got 200, as did the steady
      // calls before the kill. (Warm-up calls are counted in the figures only: a replica's first
      // calls load code, and on a busy machine one can outlast its 1 s timeout, Redis or not.)
      await load.settled(deadAt - 200);
      const whileDown = load.between(killAt, deadAt - 200);
      figures.warmup = countByStatus(load.between(warmupFrom, steadyFrom));
      figures.callsWhileRedisDown = whileDown.length;
      figures.failedWhileRedisDown = whileDown.filter((call) => call.status !== 200).length;
      figures.latencyBefore = percentiles(load.between(steadyFrom, killAt));
      figures.latencyWhileRedisDown = percentiles(whileDown);
      expect(countByStatus(load.between(steadyFrom, deadAt - 200))).toEqual({ 200: expect.any(Number) });
      expect(whileDown.length).toBeGreaterThan(REPLICAS * 10);

      // 3. Redis restarts on the same port (empty) and the downstream heals: every replica closes.
      const restartAt = machineNow();
      await redis.restart();
      downstream.healthy = true;
      const reconnected = (replica: ReplicaProcess): boolean => replica.redis.some((event) => event.status === 'ready' && event.at >= restartAt);
      await waitFor(() => replicas.every(reconnected), "every replica's Redis client reconnected", 10_000);
      figures.redisBackMs = Math.max(...replicas.map((replica) => replica.redis.find((event) => event.status === 'ready' && event.at >= restartAt)!.at)) - restartAt;
      const closedAgain = (replica: ReplicaProcess): boolean => replica.state === 'closed' && replica.firstTo('closed', restartAt) !== undefined;
      await waitFor(() => replicas.every(closedAgain), 'every replica closed again', RECOVERY_MS + 5_000);
      figures.allClosedMs = machineNow() - restartAt;

      // 4. Resynced: under the same steady traffic, an admin force-open on one replica reaches every replica again.
      const sentAt = machineNow();
      figures.forceOpenAfterRestartMs = sentAt - restartAt;
      expect(await replicas[0]!.admin('force-open')).toBe(200);
      // Every replica shows it (seenAt throws after its limit); how fast is reported, not asserted.
      figures.forceOpenSeenMs = (await Promise.all(replicas.map((replica) => seenAt(replica, 'forced-open', SEEN_LIMIT_MS)))).map((at) => at - sentAt);
      expect(await replicas[0]!.admin('reset')).toBe(200);
      await Promise.all(replicas.map((replica) => seenAt(replica, 'closed', SEEN_LIMIT_MS)));
    } finally {
      await load.stop();
    }
  }, 40_000);
});

/** Polls the replica's `/health/resilience/downstream` until it shows `state`; resolves with when it did. */
async function seenAt(replica: ReplicaProcess, state: BreakerState, limitMs: number): Promise<number> {
  const until = machineNow() + limitMs;
  for (;;) {
    const { body } = await replica.get('/health/resilience/downstream');
    const now = machineNow();
    if (body['state'] === state) return now;
    if (now > until) {
      throw new Error(`${replica.id} still shows ${String(body['state'])} after ${limitMs} ms, expected ${state}. What the replicas logged:\n${logs()}`);
    }
    await sleep(5);
  }
}

/** Each replica's own output (the store says there when it goes local-only and when it is back). */
function logs(): string {
  return replicas.map((replica) => `${replica.id}: ${replica.log.trim() || '(nothing)'}`).join('\n');
}

function percentiles(calls: readonly UserCall[]): Percentiles {
  const durations = calls.map((call) => call.end - call.start).sort((a, b) => a - b);
  const at = (q: number): number => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: durations.at(-1) ?? NaN };
}

function report(runtimeMs: number): string {
  const f = figures;
  const ms = (value: number | undefined): string => (value === undefined ? '-' : String(Math.round(value)));
  const latency = (p: Percentiles | undefined): string =>
    p === undefined ? '-' : `p50 ${p.p50.toFixed(1)} / p99 ${p.p99.toFixed(1)} / max ${p.max.toFixed(1)} ms`;
  return [
    `Redis outage figures (${REPLICAS} replicas, one call per replica every ${CALL_INTERVAL_MS} ms; spec ${(runtimeMs / 1_000).toFixed(1)} s)`,
    `  warm-up calls by status                        ${f.warmup === undefined ? '-' : JSON.stringify(f.warmup)}`,
    `  user calls while Redis was down (SIGKILL)      ${f.callsWhileRedisDown ?? '-'}, failed: ${f.failedWhileRedisDown ?? '-'} (target 0)`,
    `  call latency, the ${STEADY_MS} ms before the kill       ${latency(f.latencyBefore)}`,
    `  call latency while Redis was down              ${latency(f.latencyWhileRedisDown)}`,
    `  downstream dies, Redis down: local opens       ${f.openReasons?.join(', ') ?? '-'}; calls the dead downstream received: ${f.deadDownstreamCalls ?? '-'} (local only: ${REPLICAS} x ${THRESHOLD})`,
    `  restart -> every replica's client reconnected  ${ms(f.redisBackMs)} ms; -> every replica closed: ${ms(f.allClosedMs)} ms`,
    `  force-open on r1, ${ms(f.forceOpenAfterRestartMs)} ms after the restart -> seen on each replica after ${f.forceOpenSeenMs?.map(ms).join(', ') ?? '-'} ms (target <= ${MAX_RESYNCED_ADMIN_MS})`,
  ].join('\n');
}
