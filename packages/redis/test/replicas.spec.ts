import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { machineNow, sleep, waitFor } from '@bulwark/local-cluster';
import { countByStatus, ReplicaLoad } from './support/replica-load.js';
import { startReplicas, stopReplicas, type BreakerState, type ReplicaProcess } from './support/replica-process.js';
import { sharedRedisUrl } from './support/redis-server.js';
import { maxConcurrency, TestDownstream } from './support/test-downstream.js';

// Five real replica processes (packages/redis/test/fixtures/replica-app.mjs, on the built packages)
// in front of one downstream that dies and recovers, once with the Redis store and once without
// (the comparison). Times are real; every figure is read from the downstream's request log and the
// replicas' own transition lines, both stamped with machineNow() on this machine.
const REPLICAS = 5;
const THRESHOLD = 5;
const RECOVERY_MS = 1_000;
/**
 * Per replica, one call at a time, one every 100 ms (50 calls/s in all). The bound threshold +
 * replicas counts one call in flight per replica when the cluster opens: it holds while the
 * cluster's reaction (a failed HTTP call through Nest, one Redis round-trip, a pub/sub message:
 * 3-20 ms on a quiet machine, up to ~50 ms on a loaded 2-core one running 5 replicas, Redis and
 * Jest) is shorter than a replica's interval between calls. Beyond that each replica adds one call
 * per interval of reaction: at 15 ms intervals it measured 6-9 here quiet, 11-12 loaded.
 */
const CALL_INTERVAL_MS = 100;
/** Healthy calls every replica must have served before the downstream dies (the first ones warm the JIT up). */
const WARMUP_CALLS = 10;
/** The bound on calls until every replica is open (asserted: it holds while the cluster reacts within a call interval). */
const MAX_TRIP_CALLS = THRESHOLD + REPLICAS;
/** How fast replicas follow each other, reported against these (not asserted: it is the machine's speed). */
const MAX_OPEN_SPREAD_MS = 200;
const MAX_ADMIN_SPREAD_MS = 200;
/** How long a spec waits for a replica to show a state: generous, a loaded machine only makes it slower. */
const SEEN_LIMIT_MS = 10_000;

interface TripFigures {
  /** Calls the dead downstream received until every replica reported `open` (the figure). */
  untilAllOpen: number;
  /** Calls it received before any probe could have been made: the above plus calls still under way then. */
  reached: number;
  /** Last replica's `open` minus the first's. */
  spreadMs: number;
  /** From the death to the first `open`. */
  firstOpenMs: number;
  /** From the downstream answering the `threshold`-th failure to the first `open` (how fast the cluster reacts). */
  reactionMs: number;
  /** Why each replica opened (`failure-threshold` locally, `remote` from another replica). */
  reasons: string[];
  /** User calls while warming up, by status. */
  warmup: Record<number, number>;
}

interface RecoveryFigures {
  /** Calls that reached the downstream from a replica in `half-open`. */
  probes: number;
  probeConcurrency: number;
  /** Calls that reached the downstream while no replica was closed yet, and their concurrency. */
  beforeAnyClosed: number;
  beforeAnyClosedConcurrency: number;
  /** Replicas that went half-open. */
  halfOpenReplicas: number;
  /** From the heal to the last replica `closed`. */
  allClosedMs: number;
  /** Last replica's `closed` minus the first's. */
  closeSpreadMs: number;
}

interface AdminFigures {
  /** Per replica, from sending the admin request to `/health/resilience/downstream` showing the state. */
  forceOpenSeenMs: number[];
  resetSeenMs: number[];
}

const figures: { store?: { trip?: TripFigures; recovery?: RecoveryFigures; admin?: AdminFigures }; local?: { trip?: TripFigures; recovery?: RecoveryFigures } } = {};
const startedAt = machineNow();
const downstream = new TestDownstream();

beforeAll(async () => {
  await downstream.start();
});

afterAll(async () => {
  await downstream.stop();
  console.log(report(machineNow() - startedAt));
});

describe(`${REPLICAS} replicas, one breaker through Redis`, () => {
  let replicas: ReplicaProcess[] = [];

  beforeAll(async () => {
    const redisUrl = await sharedRedisUrl();
    replicas = await startReplicas(REPLICAS, {
      downstreamUrl: downstream.url,
      redisUrl,
      prefix: `bulwark-replicas-${process.pid}-${Date.now()}`,
      failureThreshold: THRESHOLD,
      recoveryTimeoutMs: RECOVERY_MS,
    });
  }, 30_000);

  afterAll(async () => {
    await stopReplicas(replicas);
  });

  it(`after the downstream dies, it receives at most threshold + replicas (${MAX_TRIP_CALLS}) calls: the replicas open as one, from the cluster's count`, async () => {
    const trip = await tripScenario(replicas);
    (figures.store ??= {}).trip = trip;

    expect(trip.warmup).toEqual({ 200: expect.any(Number) });
    expect(trip.untilAllOpen).toBeLessThanOrEqual(MAX_TRIP_CALLS);
    // Opened by the cluster (`remote`), not each by its own count; how far apart is reported, not asserted.
    expect(trip.reasons.filter((reason) => reason === 'remote').length).toBeGreaterThanOrEqual(REPLICAS - 1);
  }, 30_000);

  it('on recovery, one probe at a time reaches the downstream, then every replica closes', async () => {
    const recovery = await recoveryScenario(replicas);
    (figures.store ??= {}).recovery = recovery;

    expect(recovery.probes).toBeGreaterThanOrEqual(1);
    expect(recovery.probeConcurrency).toBe(1);
    expect(recovery.beforeAnyClosedConcurrency).toBe(1);
    expect(replicas.map((replica) => replica.state)).toEqual(replicas.map(() => 'closed'));
  }, 20_000);

  it("a force-open on replica 1's admin endpoint shows on every replica; a reset closes them all", async () => {
    const [first] = replicas;
    const sentAt = machineNow();
    expect(await first!.admin('force-open')).toBe(200);
    // Every replica shows it (seenAt throws after its limit); how fast is reported, not asserted.
    const forceOpenSeenMs = (await Promise.all(replicas.map((replica) => seenAt(replica, 'forced-open', SEEN_LIMIT_MS)))).map((at) => at - sentAt);
    const admin: AdminFigures = { forceOpenSeenMs, resetSeenMs: [] };
    (figures.store ??= {}).admin = admin;

    const resetAt = machineNow();
    expect(await first!.admin('reset')).toBe(200);
    admin.resetSeenMs = (await Promise.all(replicas.map((replica) => seenAt(replica, 'closed', SEEN_LIMIT_MS)))).map((at) => at - resetAt);
  }, 30_000);
});

describe(`${REPLICAS} replicas without the store (the comparison)`, () => {
  let replicas: ReplicaProcess[] = [];

  beforeAll(async () => {
    replicas = await startReplicas(REPLICAS, { downstreamUrl: downstream.url, failureThreshold: THRESHOLD, recoveryTimeoutMs: RECOVERY_MS });
  }, 30_000);

  afterAll(async () => {
    await stopReplicas(replicas);
  });

  it('each replica opens on its own: the dead downstream receives more calls than with the store', async () => {
    const trip = await tripScenario(replicas);
    const recovery = await recoveryScenario(replicas);
    figures.local = { trip, recovery };

    expect(trip.untilAllOpen).toBeGreaterThan(figures.store!.trip!.untilAllOpen);
  }, 20_000);
});

// ---- scenarios -------------------------------------------------------------------------------

/** Healthy traffic, then the downstream dies; measured until a probe could first be made. */
async function tripScenario(replicas: readonly ReplicaProcess[]): Promise<TripFigures> {
  downstream.healthy = true;
  const load = new ReplicaLoad(replicas, CALL_INTERVAL_MS).start();
  try {
    const warmupFrom = machineNow();
    const served = (replica: ReplicaProcess): number => load.calls.filter((call) => call.replica === replica.id && call.status === 200).length;
    await waitFor(() => replicas.every((replica) => served(replica) >= WARMUP_CALLS), `${WARMUP_CALLS} calls served by every replica`, 10_000);
    const warmup = countByStatus(load.between(warmupFrom));

    const deadAt = machineNow();
    downstream.healthy = false;
    await waitFor(() => replicas.every((replica) => replica.firstTo('open', deadAt) !== undefined), 'every replica open', 5_000);
    const opens = replicas.map((replica) => replica.firstTo('open', deadAt)!);
    const firstOpen = Math.min(...opens.map((event) => event.at));
    const lastOpen = Math.max(...opens.map((event) => event.at));
    // Up to 70% of the recovery timeout after the first open nothing may probe yet: whatever reached
    // the downstream until then went through a breaker that was not open (late arrivals included).
    const countUntil = firstOpen + RECOVERY_MS * 0.7;
    await sleep(countUntil - machineNow());
    const reached = downstream.between(deadAt, countUntil);
    const thresholdFailureEnd = reached.map((request) => request.end).sort((a, b) => a - b)[THRESHOLD - 1] ?? NaN;
    return {
      // Two processes stamp these: a call arriving within a millisecond after the last open counts as before it.
      untilAllOpen: reached.filter((request) => request.start < lastOpen + 1).length,
      reached: reached.length,
      spreadMs: lastOpen - firstOpen,
      firstOpenMs: firstOpen - deadAt,
      reactionMs: Math.round(firstOpen - thresholdFailureEnd),
      reasons: opens.map((event) => event.reason ?? '?'),
      warmup,
    };
  } finally {
    await load.stop();
  }
}

/** The downstream heals (before the recovery timeout ends); traffic until every replica is closed. */
async function recoveryScenario(replicas: readonly ReplicaProcess[]): Promise<RecoveryFigures> {
  const byId = new Map(replicas.map((replica) => [replica.id, replica]));
  const healAt = machineNow();
  downstream.healthy = true;
  const load = new ReplicaLoad(replicas, CALL_INTERVAL_MS).start();
  try {
    const closedSinceHeal = (replica: ReplicaProcess): boolean => replica.state === 'closed' && replica.firstTo('closed', healAt) !== undefined;
    await waitFor(() => replicas.every(closedSinceHeal), 'every replica closed again', RECOVERY_MS + 5_000);
  } finally {
    await load.stop();
  }
  const closes = replicas.map((replica) => replica.firstTo('closed', healAt)!.at);
  const firstClosed = Math.min(...closes);
  const lastClosed = Math.max(...closes);
  const arrived = downstream.between(healAt, lastClosed);
  const probes = arrived.filter((request) => byId.get(request.replica)?.stateAt(request.start) === 'half-open');
  const beforeAnyClosed = downstream.between(healAt, firstClosed);
  return {
    probes: probes.length,
    probeConcurrency: maxConcurrency(probes),
    beforeAnyClosed: beforeAnyClosed.length,
    beforeAnyClosedConcurrency: maxConcurrency(beforeAnyClosed),
    halfOpenReplicas: replicas.filter((replica) => replica.firstTo('half-open', healAt) !== undefined).length,
    allClosedMs: lastClosed - healAt,
    closeSpreadMs: lastClosed - firstClosed,
  };
}

/** Polls the replica's `/health/resilience/downstream` until it shows `state`; resolves with when it did. */
async function seenAt(replica: ReplicaProcess, state: BreakerState, limitMs: number): Promise<number> {
  const until = machineNow() + limitMs;
  for (;;) {
    const { body } = await replica.get('/health/resilience/downstream');
    const now = machineNow();
    if (body['state'] === state) return now;
    if (now > until) throw new Error(`${replica.id} still shows ${String(body['state'])} after ${limitMs} ms, expected ${state}`);
    await sleep(5);
  }
}

// ---- the figures -----------------------------------------------------------------------------

function report(runtimeMs: number): string {
  const { store, local } = figures;
  const reasons = (trip: TripFigures | undefined): string | undefined =>
    trip === undefined ? undefined : `${trip.reasons.filter((reason) => reason === 'remote').length} remote`;
  const rows: [string, number | string | undefined, number | string | undefined][] = [
    ['', 'Redis store', 'local only'],
    [`calls the dead downstream received until all open (target <= ${MAX_TRIP_CALLS})`, store?.trip?.untilAllOpen, local?.trip?.untilAllOpen],
    ['  the same plus calls under way when the last one opened', store?.trip?.reached, local?.trip?.reached],
    ['death -> first replica open (ms)', store?.trip?.firstOpenMs, local?.trip?.firstOpenMs],
    [`${THRESHOLD}th failure answered -> first replica open (ms)`, store?.trip?.reactionMs, 'n/a'],
    [`first open -> last replica open (ms, target <= ${MAX_OPEN_SPREAD_MS})`, store?.trip?.spreadMs, local?.trip?.spreadMs],
    ['replicas opened by another replica (remote)', reasons(store?.trip), reasons(local?.trip)],
    ['replicas that went half-open on recovery', store?.recovery?.halfOpenReplicas, local?.recovery?.halfOpenReplicas],
    ['probe calls that reached the downstream', store?.recovery?.probes, local?.recovery?.probes],
    ['max probe calls at once (target 1)', store?.recovery?.probeConcurrency, local?.recovery?.probeConcurrency],
    [
      'calls before any replica closed / max at once',
      pair(store?.recovery?.beforeAnyClosed, store?.recovery?.beforeAnyClosedConcurrency),
      pair(local?.recovery?.beforeAnyClosed, local?.recovery?.beforeAnyClosedConcurrency),
    ],
    ['heal -> every replica closed (ms)', store?.recovery?.allClosedMs, local?.recovery?.allClosedMs],
    ['first closed -> last closed (ms)', store?.recovery?.closeSpreadMs, local?.recovery?.closeSpreadMs],
    [`admin force-open on r1 -> shown by every replica (ms, target <= ${MAX_ADMIN_SPREAD_MS})`, maxOf(store?.admin?.forceOpenSeenMs), 'n/a'],
    ['admin reset on r1 -> shown by every replica (ms)', maxOf(store?.admin?.resetSeenMs), 'n/a'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const cell = (value: number | string | undefined): string => String(typeof value === 'number' ? Math.round(value) : (value ?? '-')).padStart(13);
  return [
    `Replica figures (${REPLICAS} replicas, failureThreshold ${THRESHOLD}, recoveryTimeout ${RECOVERY_MS} ms, ` +
      `one call per replica every ${CALL_INTERVAL_MS} ms; spec ${(runtimeMs / 1_000).toFixed(1)} s)`,
    ...rows.map(([label, a, b]) => `  ${label.padEnd(width)}${cell(a)}${cell(b)}`),
  ].join('\n');
}

function pair(a: number | undefined, b: number | undefined): string | undefined {
  return a === undefined ? undefined : `${a} / ${b}`;
}

function maxOf(values: number[] | undefined): number | undefined {
  return values === undefined ? undefined : Math.max(...values);
}
