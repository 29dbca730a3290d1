// `npm run demo:cluster`: three storefront replicas behind one pricing service, first each with its
// own breakers, then sharing them through Redis (@bulwark/redis). Needs `redis-server` on the PATH
// (it starts its own on a free port); without it, says how to install it and exits 0.
import { randomBytes } from 'node:crypto';
import type { ChaosServer } from './downstreams/chaos-server.js';
import { startDownstreams, type Downstreams } from './downstreams/downstreams.js';
import { redisServerVersion, sleep, startRedisServer, waitFor } from '@bulwark/local-cluster';
import { ClusterTraffic } from './cluster/cluster-traffic.js';
import { ReplicaProcess, type ReplicaTransition } from './cluster/replica-process.js';

const REPLICAS = 3;
/** The storefront's breakers open after 5 consecutive failures (see resilience.config.ts). */
const THRESHOLD = 5;
/** The article's 30 s, shortened so the demo shows a recovery. */
const RECOVERY_MS = 3_000;
/** Per replica, one shopper request at a time, one every 50 ms. */
const INTERVAL_MS = 50;
const WATCHDOG_MS = 120_000;

interface Context {
  readonly downstreams: Downstreams;
  readonly adminToken: string;
}

interface RoundFigures {
  /** Calls pricing received from the moment it went down until every breaker was open (stragglers included). */
  reached: number;
  /** ms from pricing going down to each replica's breaker opening, with why. */
  opened: { replica: string; afterMs: number; reason: string }[];
  /** With the store: the recovery and the admin action. */
  recovery?: { probes: number; halfOpen: string[]; allClosedMs: number };
  forceOpen?: { from: string; seenMs: number[] };
  resetMs?: number;
}

async function main(): Promise<number> {
  const version = redisServerVersion();
  if (version === undefined) {
    console.log(
      [
        'demo:cluster needs redis-server on the PATH (it starts its own on a free loopback port, nothing persisted).',
        '  Debian / Ubuntu:  sudo apt-get install redis-server',
        '  macOS:            brew install redis',
        'then run `npm run demo:cluster` again.',
      ].join('\n'),
    );
    return 0;
  }
  const watchdog = setTimeout(() => {
    console.error(`demo:cluster: no result after ${WATCHDOG_MS / 1_000} s, giving up`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const startedAt = Date.now();
  const redis = await startRedisServer();
  const downstreams = await startDownstreams();
  const context: Context = { downstreams, adminToken: randomBytes(16).toString('hex') };
  try {
    console.log(`Bulwark cluster demo: ${REPLICAS} storefront replicas, one pricing service, and Redis.\n`);
    console.log(`  redis     ${redis.url} (redis-server ${version}, started by the demo)`);
    console.log(`  pricing   ${downstreams.pricing.url}`);
    console.log(
      `  breakers  open after ${THRESHOLD} consecutive failures, half-open after ${RECOVERY_MS / 1_000} s;` +
        ` every replica gets a shopper request (GET /products/:id) every ${INTERVAL_MS} ms\n`,
    );

    console.log('1. Without a store: each replica has its own pricing breaker.');
    const local = await round(context, undefined);
    console.log(`\n2. With the Redis store: ResilienceModule.forRoot({ store: redisStore({ client }) }) on every replica.`);
    const shared = await round(context, redis.url);
    console.log(`\n${summary(local, shared, Date.now() - startedAt)}`);
    return 0;
  } finally {
    await downstreams.stop();
    await redis.stop();
    clearTimeout(watchdog);
  }
}

/** Starts the replicas (sharing breakers when `redisUrl` is given), takes pricing down, and so on. */
async function round(context: Context, redisUrl: string | undefined): Promise<RoundFigures> {
  const pricing = context.downstreams.pricing;
  pricing.reset();
  const replicas = await Promise.all(
    Array.from({ length: REPLICAS }, (_, i) =>
      ReplicaProcess.start(`r${i + 1}`, {
        downstreams: context.downstreams.urls(),
        adminToken: context.adminToken,
        recoveryTimeoutMs: RECOVERY_MS,
        ...(redisUrl === undefined ? {} : { redisUrl }),
      }),
    ),
  );
  const traffic = new ClusterTraffic(replicas, INTERVAL_MS);
  traffic.start();
  try {
    // Every replica prices the whole catalogue once: what it shows (cached) while pricing is down.
    await until(() => traffic.warm, 'every replica to price the catalogue', 15_000);

    // Pricing goes down.
    const before = pricing.requestsReceived;
    const downAt = Date.now();
    pricing.configure({ down: true });
    console.log('   pricing goes down (every connection reset)');
    await until(() => replicas.every((replica) => replica.first('pricing', 'open', downAt) !== undefined), 'every pricing breaker open', 10_000);
    await sleep(500); // a call already under way when the last breaker opened still counts
    const opened = replicas
      .map((replica) => replica.first('pricing', 'open', downAt)!)
      .sort((a, b) => a.at - b.at)
      .map((transition) => ({ replica: transition.replica, afterMs: transition.at - downAt, reason: transition.reason ?? '?' }));
    for (const { replica, afterMs, reason } of opened) {
      console.log(`     ${replica} breaker open   +${afterMs} ms  ${describeReason(reason)}`);
    }
    const reached = pricing.requestsReceived - before;
    console.log(`   pricing received ${reached} calls before every breaker was open (retries included)`);
    const figures: RoundFigures = { reached, opened };
    if (redisUrl === undefined) return figures;

    figures.recovery = await recovery(replicas, pricing);
    const [r1, r2] = replicas as [ReplicaProcess, ReplicaProcess];
    figures.forceOpen = { from: r2.id, seenMs: await adminAction(replicas, r2, 'force-open', 'forced-open', context.adminToken) };
    console.log(`   admin: POST /health/resilience/pricing/force-open on ${r2.id}`);
    for (const [i, ms] of figures.forceOpen.seenMs.entries()) console.log(`     ${replicas[i]!.id} forced-open  +${ms} ms`);
    const reset = await adminAction(replicas, r1, 'reset', 'closed', context.adminToken);
    figures.resetMs = Math.max(...reset);
    console.log(`   admin: reset on ${r1.id}: every replica closed within ${figures.resetMs} ms`);
    return figures;
  } finally {
    await traffic.stop();
    await Promise.all(replicas.map((replica) => replica.stop()));
    const { requests, live, cached, unavailable, failed } = traffic.tally;
    console.log(`   shoppers: ${requests} requests: ${live} live prices, ${cached} cached, ${unavailable} without a price, ${failed} failed`);
  }
}

/** Pricing heals; after the recovery timeout one replica holds the trial lease and sends the probe. */
async function recovery(replicas: ReplicaProcess[], pricing: ChaosServer): Promise<NonNullable<RoundFigures['recovery']>> {
  const healAt = Date.now();
  const before = pricing.requestsReceived;
  pricing.reset();
  console.log(`   pricing heals; the breakers stay open until ${RECOVERY_MS / 1_000} s after they opened`);
  // Counted when the first breaker closes, i.e. the calls the trial round let through.
  let probes: number | undefined;
  const unsubscribe = replicas.map((replica) =>
    replica.onTransition((transition) => {
      if (transition.name === 'pricing' && transition.to === 'closed' && probes === undefined) probes = pricing.requestsReceived - before;
    }),
  );
  try {
    await until(() => replicas.every((replica) => replica.first('pricing', 'closed', healAt) !== undefined), 'every pricing breaker closed', RECOVERY_MS + 10_000);
  } finally {
    for (const stop of unsubscribe) stop();
  }
  const halfOpen = replicas.filter((replica) => replica.first('pricing', 'half-open', healAt) !== undefined).map((replica) => replica.id);
  const closes = replicas.map((replica) => replica.first('pricing', 'closed', healAt)!).sort((a, b) => a.at - b.at);
  const firstClose = closes[0]!;
  console.log(`     half-open: ${halfOpen.join(', ') || 'none'} (the trial lease holder); the others stayed open, failing fast`);
  console.log(`     pricing received ${probes ?? '?'} call(s) before the verdict`);
  for (const transition of closes) {
    console.log(`     ${transition.replica} breaker closed +${transition.at - firstClose.at} ms  ${describeReason(transition.reason ?? '?')}`);
  }
  return { probes: probes ?? NaN, halfOpen, allClosedMs: closes.at(-1)!.at - healAt };
}

/** Runs an admin action on `on`; resolves with, per replica, how long until it showed `state`. */
async function adminAction(
  replicas: ReplicaProcess[],
  on: ReplicaProcess,
  action: 'force-open' | 'reset',
  state: string,
  token: string,
): Promise<number[]> {
  const sentAt = Date.now();
  const status = await on.admin('pricing', action, token);
  if (status !== 200) throw new Error(`POST ${action} on ${on.id} answered ${status}`);
  const seen = (replica: ReplicaProcess): ReplicaTransition | undefined => replica.first('pricing', state, sentAt);
  await until(() => replicas.every((replica) => seen(replica) !== undefined), `every pricing breaker ${state}`, 5_000);
  return replicas.map((replica) => seen(replica)!.at - sentAt);
}

function describeReason(reason: string): string {
  if (reason === 'remote') return '(remote: decided by another replica, applied through Redis)';
  if (reason === 'failure-threshold') return `(its own ${THRESHOLD} consecutive failures)`;
  if (reason === 'half-open-success') return '(its trial call succeeded)';
  return `(${reason})`;
}

function summary(local: RoundFigures, shared: RoundFigures, elapsedMs: number): string {
  const target = THRESHOLD + REPLICAS;
  const spread = (figures: RoundFigures): number => figures.opened.at(-1)!.afterMs - figures.opened[0]!.afterMs;
  const row = (label: string, value: string): string => `  ${label.padEnd(54)}${value}`;
  const lines = [
    `Summary (${(elapsedMs / 1_000).toFixed(1)} s)`,
    row('calls pricing received until every breaker was open', `${local.reached} without the store, ${shared.reached} with it (threshold + replicas = ${target})`),
    row('first -> last replica open', `${spread(local)} ms without the store, ${spread(shared)} ms with it`),
  ];
  if (shared.recovery !== undefined) {
    lines.push(row('recovery: replicas that went half-open', `${shared.recovery.halfOpen.length} of ${REPLICAS}; calls before the verdict: ${shared.recovery.probes}`));
  }
  if (shared.forceOpen !== undefined) {
    lines.push(row(`force-open on ${shared.forceOpen.from} reached every replica`, `in ${Math.max(...shared.forceOpen.seenMs)} ms; reset in ${shared.resetMs} ms`));
  }
  const met = shared.reached <= target && shared.reached < local.reached && shared.recovery?.probes === 1;
  lines.push(
    '',
    met
      ? `  One breaker for the cluster: pricing was spared ${local.reached - shared.reached} calls, and one probe tested its recovery.`
      : `  NOTE: a figure above missed its target (at most ${target} calls, fewer than without the store, one probe).`,
  );
  return lines.join('\n');
}

function until(condition: () => boolean, what: string, limitMs: number): Promise<void> {
  return waitFor(condition, what, limitMs, 10);
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('demo:cluster failed:', error);
    process.exitCode = 1;
  },
);
