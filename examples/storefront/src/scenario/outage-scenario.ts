import type { CircuitBreakerState, CircuitBreakerStateChange, Disposable } from '@bulwark/core';
import type { CircuitBreakerRegistry } from '@bulwark/nestjs';
import { DEPENDENCIES, type DependencyName } from '../app/storefront.options.js';
import type { ChaosPatch } from '../downstreams/chaos.settings.js';
import type { Downstreams } from '../downstreams/downstreams.js';
import { DependencyBreaker } from './dependency-breakers.js';
import {
  DEGRADED_OUTCOMES,
  ENDPOINTS,
  ENDPOINT_OF,
  Traffic,
  type Endpoint,
  type Outcome,
  type RequestRecord,
  type TickRecord,
} from './traffic.js';

/** The scenario's pace. The breakers' own timings are the application's (see `StorefrontTimings`). */
export interface ScenarioTimings {
  /** Interval between rounds of traffic (one request per endpoint each). */
  tickMs: number;
  /** Rounds answered before the first outage: every product price and the metrics get cached. */
  warmupRounds: number;
  /** Rounds answered after the last recovery. */
  cooldownRounds: number;
  /** The application's breaker `recoveryTimeout`: how long outages are held is derived from it. */
  recoveryTimeout: number;
  /** Latency given to the slow ranking service: more than the application's timeout. */
  slowLatencyMs: number;
  /** Longest wait for a breaker to open or close before the scenario gives up on it. */
  stateTimeoutMs: number;
  /** Client-side limit of each request (a storefront that hangs fails the request). */
  requestTimeoutMs: number;
}

export interface ScenarioEnvironment {
  /** Base URL of the running storefront. */
  storefrontUrl: string;
  downstreams: Downstreams;
  /** The storefront's breakers (its dependencies' families, read for states and rejected-call counts). */
  breakers: CircuitBreakerRegistry;
}

/**
 * Receives the timeline as it happens (times in ms since the scenario began). A round of traffic
 * is announced when sent and reported when its last request has answered. Every method is optional.
 */
export interface ScenarioReporter {
  event?(at: number, text: string): void;
  transition?(at: number, change: CircuitBreakerStateChange): void;
  roundStarted?(tick: number, at: number): void;
  tick?(tick: TickRecord): void;
}

export interface TransitionRecord {
  readonly at: number;
  readonly from: CircuitBreakerState;
  readonly to: CircuitBreakerState;
  readonly reason: string | undefined;
}

/** One dependency's outage, from the chaos being switched on until its breaker closed again. */
export interface OutageReport {
  readonly dependency: DependencyName;
  readonly story: string;
  /** Chaos on to chaos off. */
  readonly outageMs: number;
  readonly opened: boolean;
  /** Chaos on to breaker open. */
  readonly openedAfterMs: number | null;
  readonly recovered: boolean;
  /** Chaos off to breaker closed. */
  readonly recoveredAfterMs: number | null;
  readonly transitions: readonly TransitionRecord[];
  /** Requests to the dependent endpoint sent from chaos on until the breaker closed. */
  readonly requests: number;
  readonly degraded: number;
  readonly failed: number;
  /** Calls that reached the dependency while it was broken. */
  readonly callsReached: number;
  /** Calls the open breaker rejected without touching the dependency while it was broken. */
  readonly callsSpared: number;
  /** `GET /health/resilience` while the breaker was open. */
  readonly healthWhileOpen: { httpStatus: number; status: string; breakerState: string } | null;
}

export interface ScenarioSummary {
  readonly durationMs: number;
  readonly requests: number;
  /** HTTP 200 with a body of the documented shape. */
  readonly served: number;
  readonly degraded: number;
  /** Anything else: an error status, a timeout, a malformed body. The goal is zero. */
  readonly failed: number;
  readonly outcomes: Readonly<Record<Endpoint, Partial<Record<Outcome, number>>>>;
  readonly outages: readonly OutageReport[];
  /** `GET /health/resilience` after the last recovery. */
  readonly finalHealth: { httpStatus: number; status: string };
  /** Zero failed requests, and every breaker opened, recovered and spared calls. */
  readonly passed: boolean;
  /** Failed requests, for the report (at most 10). */
  readonly failures: readonly RequestRecord[];
}

interface OutagePlan {
  dependency: DependencyName;
  chaos: ChaosPatch;
  story: string;
  /** How long the dependency stays broken once its breaker is open. */
  holdMs: number;
}

/**
 * The article's three failure stories, one after the other, under steady traffic:
 * 1. pricing goes down: its breaker opens, product pages show cached prices; it stays down past
 *    one recovery timeout, so a half-open trial fails and the breaker re-opens; then it heals and
 *    the next trial closes the breaker.
 * 2. ranking gets slower than the timeout: searches time out until the breaker opens, then fall
 *    back to a text match at once; it heals and the breaker closes.
 * 3. metrics hangs: calls time out until the breaker opens, the dashboard shows stale figures
 *    with their age; it heals and the breaker closes.
 * Waits are on breaker states (with `stateTimeoutMs` as a limit), never on exact timing.
 */
export async function runOutageScenario(
  env: ScenarioEnvironment,
  timings: ScenarioTimings,
  reporter: ScenarioReporter = {},
): Promise<ScenarioSummary> {
  const origin = performance.now();
  const now = (): number => performance.now() - origin;
  const breakers = Object.fromEntries(DEPENDENCIES.map((name) => [name, DependencyBreaker.of(env.breakers, name)])) as Record<
    DependencyName,
    DependencyBreaker
  >;
  const transitions: Record<DependencyName, TransitionRecord[]> = { pricing: [], ranking: [], metrics: [] };
  const subscriptions: Disposable[] = DEPENDENCIES.map((name) =>
    breakers[name].onStateChange((change) => {
      const at = now();
      transitions[name].push({ at, from: change.from, to: change.to, reason: change.reason });
      reporter.transition?.(at, change);
    }),
  );
  const states = (): Record<DependencyName, CircuitBreakerState> => ({
    pricing: breakers.pricing.state,
    ranking: breakers.ranking.state,
    metrics: breakers.metrics.state,
  });
  const traffic = new Traffic(
    env.storefrontUrl,
    timings.tickMs,
    timings.requestTimeoutMs,
    now,
    states,
    (tick, at) => reporter.roundStarted?.(tick, at),
    (tick) => reporter.tick?.(tick),
  );
  const measures: OutageMeasure[] = [];

  try {
    for (const name of DEPENDENCIES) env.downstreams[name].reset();
    reporter.event?.(now(), `steady traffic: a request to each endpoint every ${timings.tickMs} ms`);
    traffic.start();
    await waitForRounds(traffic, timings.warmupRounds, timings);

    for (const plan of outagePlans(timings)) {
      // Each story starts from a healthy storefront (a breaker opened by a stray timeout on a
      // loaded machine closes again first).
      await waitForAll(breakers, 'closed', timings, now);
      measures.push(await runOutage(plan, env, timings, breakers[plan.dependency], transitions[plan.dependency], now, reporter));
    }

    await waitForRounds(traffic, traffic.completedRounds + timings.cooldownRounds, timings);
    await waitForAll(breakers, 'closed', timings, now);
  } finally {
    await traffic.stop();
    for (const subscription of subscriptions) subscription.dispose();
    for (const name of DEPENDENCIES) env.downstreams[name].reset();
  }

  const { httpStatus, status } = await readHealth(env.storefrontUrl);
  const finalHealth = { httpStatus, status };
  reporter.event?.(now(), `traffic stopped; /health/resilience: ${finalHealth.httpStatus} ${finalHealth.status}`);
  const outages = measures.map((measure) => withRequests(measure, traffic.records));
  return summarize(traffic.records, outages, finalHealth, now());
}

function outagePlans(timings: ScenarioTimings): OutagePlan[] {
  return [
    {
      dependency: 'pricing',
      chaos: { down: true },
      story: 'pricing goes down (every connection reset)',
      // Past one recovery timeout: a half-open trial meets the dead service and re-opens the breaker.
      holdMs: Math.round(timings.recoveryTimeout * 1.25 + 2 * timings.tickMs),
    },
    {
      dependency: 'ranking',
      chaos: { latencyMs: timings.slowLatencyMs },
      story: `ranking slows down to ${timings.slowLatencyMs} ms per answer`,
      // Healed before the first trial, as a rule: that trial then closes the breaker.
      holdMs: Math.round(timings.recoveryTimeout * 0.75),
    },
    {
      dependency: 'metrics',
      chaos: { hang: true },
      story: 'metrics hangs (accepts connections, never answers)',
      holdMs: Math.round(timings.recoveryTimeout * 0.75),
    },
  ];
}

/** What an outage measured while it ran; its request counts are added once traffic has stopped. */
type OutageMeasure = Omit<OutageReport, 'requests' | 'degraded' | 'failed'> & { readonly from: number; readonly until: number };

async function runOutage(
  plan: OutagePlan,
  env: ScenarioEnvironment,
  timings: ScenarioTimings,
  breaker: DependencyBreaker,
  transitions: TransitionRecord[],
  now: () => number,
  reporter: ScenarioReporter,
): Promise<OutageMeasure> {
  const downstream = env.downstreams[plan.dependency];
  const receivedBefore = downstream.requestsReceived;
  const sparedBefore = breaker.callsRefused;
  const transitionsBefore = transitions.length;

  const brokenAt = now();
  downstream.configure(plan.chaos);
  reporter.event?.(brokenAt, `CHAOS: ${plan.story}`);

  const openedAt = await waitForState(breaker, 'open', timings, now);
  let healthWhileOpen: OutageReport['healthWhileOpen'] = null;
  if (openedAt !== null) {
    const health = await readHealth(env.storefrontUrl);
    healthWhileOpen = { httpStatus: health.httpStatus, status: health.status, breakerState: health.breakers[plan.dependency] ?? '?' };
    reporter.event?.(now(), `/health/resilience: ${health.httpStatus} ${health.status} (${plan.dependency} ${healthWhileOpen.breakerState})`);
    await sleep(plan.holdMs);
  }

  const healedAt = now();
  const callsReached = downstream.requestsReceived - receivedBefore;
  const callsSpared = breaker.callsRefused - sparedBefore;
  downstream.reset();
  reporter.event?.(healedAt, `HEAL: ${plan.dependency} is healthy again`);

  const closedAt = await waitForState(breaker, 'closed', timings, now);
  return {
    dependency: plan.dependency,
    story: plan.story,
    outageMs: healedAt - brokenAt,
    opened: openedAt !== null,
    openedAfterMs: openedAt === null ? null : openedAt - brokenAt,
    recovered: closedAt !== null,
    recoveredAfterMs: closedAt === null ? null : closedAt - healedAt,
    transitions: transitions.slice(transitionsBefore),
    callsReached,
    callsSpared,
    healthWhileOpen,
    from: brokenAt,
    until: closedAt ?? now(),
  };
}

/** Requests to the dependent endpoint sent from chaos on until the breaker closed. */
function withRequests(measure: OutageMeasure, records: readonly RequestRecord[]): OutageReport {
  const { from, until, ...report } = measure;
  const endpoint = ENDPOINT_OF[measure.dependency];
  const window = records.filter((record) => record.endpoint === endpoint && record.startedAt >= from && record.startedAt <= until);
  return {
    ...report,
    requests: window.length,
    degraded: window.filter((record) => DEGRADED_OUTCOMES.has(record.outcome)).length,
    failed: window.filter((record) => record.outcome === 'failed').length,
  };
}

function summarize(
  records: readonly RequestRecord[],
  outages: OutageReport[],
  finalHealth: { httpStatus: number; status: string },
  durationMs: number,
): ScenarioSummary {
  const outcomes = Object.fromEntries(ENDPOINTS.map((endpoint) => [endpoint, {}])) as Record<Endpoint, Partial<Record<Outcome, number>>>;
  for (const record of records) {
    const counts = outcomes[record.endpoint];
    counts[record.outcome] = (counts[record.outcome] ?? 0) + 1;
  }
  const failures = records.filter((record) => record.outcome === 'failed');
  const degraded = records.filter((record) => DEGRADED_OUTCOMES.has(record.outcome)).length;
  const passed =
    failures.length === 0 &&
    outages.length === DEPENDENCIES.length &&
    outages.every((outage) => outage.opened && outage.recovered && outage.callsSpared > 0) &&
    finalHealth.status === 'up';
  return {
    durationMs,
    requests: records.length,
    served: records.length - failures.length,
    degraded,
    failed: failures.length,
    outcomes,
    outages,
    finalHealth,
    passed,
    failures: failures.slice(0, 10),
  };
}

/** Polls the breaker (reading its state also applies an elapsed recovery timeout). */
async function waitForState(
  breaker: { readonly state: CircuitBreakerState },
  target: CircuitBreakerState,
  timings: ScenarioTimings,
  now: () => number,
): Promise<number | null> {
  const deadline = now() + timings.stateTimeoutMs;
  const interval = Math.max(5, Math.min(50, timings.tickMs / 2));
  for (;;) {
    if (breaker.state === target) return now();
    if (now() >= deadline) return null;
    await sleep(interval);
  }
}

async function waitForAll(
  breakers: Record<DependencyName, { readonly state: CircuitBreakerState }>,
  target: CircuitBreakerState,
  timings: ScenarioTimings,
  now: () => number,
): Promise<void> {
  for (const name of DEPENDENCIES) await waitForState(breakers[name], target, timings, now);
}

/** Waits until `rounds` rounds of traffic have answered (a fresh process answers its first ones late). */
async function waitForRounds(traffic: Traffic, rounds: number, timings: ScenarioTimings): Promise<void> {
  while (traffic.completedRounds < rounds) await sleep(timings.tickMs / 2);
}

async function readHealth(baseUrl: string): Promise<{ httpStatus: number; status: string; breakers: Record<string, string> }> {
  try {
    const response = await fetch(`${baseUrl}/health/resilience`, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.json()) as { status?: string; circuitBreakers?: Record<string, { state?: string }> };
    const breakers = Object.fromEntries(Object.entries(body.circuitBreakers ?? {}).map(([name, entry]) => [name, String(entry.state)]));
    return { httpStatus: response.status, status: String(body.status), breakers };
  } catch (error) {
    return { httpStatus: 0, status: `unreachable (${error instanceof Error ? error.message : String(error)})`, breakers: {} };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
