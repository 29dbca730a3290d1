import { DEFAULT_DEADLINE_MARGIN_MS } from '@bulwark/http';
import { sleep } from '@bulwark/local-cluster';
import { DEADLINE_HEADER, type ChaosServer, type ReceivedRequest } from '../downstreams/chaos-server.js';
import type { Downstreams } from '../downstreams/downstreams.js';

/**
 * What `@bulwark/http` does for the storefront's calls, shown one request at a time over real HTTP
 * (no other traffic), with the downstreams' own records as evidence: a retry honouring the
 * server's `Retry-After`, the caller's deadline passed on, a hedged read.
 */
export interface ShowcaseEnvironment {
  /** Base URL of the running storefront. */
  storefrontUrl: string;
  downstreams: Downstreams;
}

/** One behaviour shown: whether it showed, and the lines that say so. */
export interface Showing {
  readonly passed: boolean;
  readonly evidence: readonly string[];
}

export interface RetryAfterShowing extends Showing {
  readonly status: 503 | 429;
  readonly retryAfterSec: number;
  /** What pricing received for the page: the request it refused, then the retry. */
  readonly attempts: readonly ReceivedRequest[];
  /** The retry's arrival less the refused request's (ms); null without a retry. */
  readonly gapMs: number | null;
  readonly priceSource: unknown;
}

export interface DeadlineShowing extends Showing {
  /** The budget the page request carried (`x-request-deadline-ms`). */
  readonly sentMs: number;
  /** What pricing received in the same header; null without one. */
  readonly receivedMs: number | null;
  readonly priceSource: unknown;
}

export interface HedgedReadShowing extends Showing {
  readonly slowMs: number;
  /** What ranking received for the search, in order of arrival: two requests when it was hedged. */
  readonly requests: readonly ReceivedRequest[];
  readonly rankedBy: unknown;
  /** The search's latency, as the shopper saw it. */
  readonly latencyMs: number;
}

export interface HttpShowcase {
  readonly retryAfter: RetryAfterShowing;
  readonly deadline: DeadlineShowing;
  readonly hedgedRead: HedgedReadShowing;
  readonly passed: boolean;
}

/** The three, one after the other. */
export async function runHttpShowcase(env: ShowcaseEnvironment): Promise<HttpShowcase> {
  const retryAfter = await showRetryAfter(env);
  const deadline = await showDeadline(env);
  const hedgedRead = await showHedgedRead(env);
  return { retryAfter, deadline, hedgedRead, passed: retryAfter.passed && deadline.passed && hedgedRead.passed };
}

/**
 * Pricing refuses the next request with `status` and `Retry-After: retryAfterSec`; a product page
 * then costs two pricing requests, the retry arriving no sooner than the server asked, whatever
 * the jitter of the backoff.
 */
export async function showRetryAfter(
  env: ShowcaseEnvironment,
  { status = 503, retryAfterSec = 1 }: { status?: 503 | 429; retryAfterSec?: number } = {},
): Promise<RetryAfterShowing> {
  const pricing = env.downstreams.pricing;
  const before = pricing.requestsReceived;
  pricing.configure({ pushback: { requests: 1, status, retryAfterSec } });
  let page: Page;
  try {
    page = await get(env.storefrontUrl, '/products/1');
  } finally {
    pricing.configure({ pushback: { requests: 0 } });
  }
  const attempts = pricing.requests(before);
  const [refused, retry] = attempts;
  const gapMs = refused !== undefined && retry !== undefined ? retry.arrivedAt - refused.arrivedAt : null;
  const priceSource = page.body['priceSource'];
  const passed =
    attempts.length === 2 &&
    refused?.outcome === 'pushback' &&
    retry?.outcome === 'answered' &&
    gapMs !== null &&
    gapMs >= retryAfterSec * 1_000 &&
    priceSource === 'live';
  const evidence = [
    refused === undefined ? 'pricing received no request' : `pricing #${refused.seq} answered ${refused.status ?? refused.outcome}, Retry-After: ${retryAfterSec}`,
    retry === undefined || gapMs === null
      ? 'no retry reached pricing'
      : `retry #${retry.seq} arrived ${ms(gapMs)} later (asked: at least ${ms(retryAfterSec * 1_000)}) and got ${retry.status ?? retry.outcome}`,
    `GET /products/1 -> ${page.status}, price ${String(priceSource)}, in ${ms(page.latencyMs)}`,
  ];
  return { passed, evidence, status, retryAfterSec, attempts, gapMs, priceSource };
}

/**
 * A product page requested with `x-request-deadline-ms: sentMs`: the request's scope in the
 * storefront takes that budget, and the pricing client sends pricing what is left of it, less the
 * margin for the way back.
 */
export async function showDeadline(env: ShowcaseEnvironment, { sentMs = 800 }: { sentMs?: number } = {}): Promise<DeadlineShowing> {
  const pricing = env.downstreams.pricing;
  const before = pricing.requestsReceived;
  const page = await get(env.storefrontUrl, '/products/2', { [DEADLINE_HEADER]: String(sentMs) });
  const requests = pricing.requests(before);
  const header = requests[0]?.deadlineHeader ?? null;
  const receivedMs = header === null ? null : Number(header);
  const ceiling = sentMs - DEFAULT_DEADLINE_MARGIN_MS;
  const priceSource = page.body['priceSource'];
  const passed = requests.length === 1 && receivedMs !== null && receivedMs > 0 && receivedMs <= ceiling && priceSource === 'live';
  const evidence = [
    `GET /products/2 with ${DEADLINE_HEADER}: ${sentMs} -> ${page.status}, price ${String(priceSource)}, in ${ms(page.latencyMs)}`,
    receivedMs === null
      ? `pricing received no ${DEADLINE_HEADER}`
      : `pricing received ${DEADLINE_HEADER}: ${header} (${sentMs} less the ${DEFAULT_DEADLINE_MARGIN_MS} ms margin` +
        ` less ${ms(ceiling - receivedMs)} spent in the storefront)`,
  ];
  return { passed, evidence, sentMs, receivedMs, priceSource };
}

/**
 * Ranking hedges its reads at the p95 of recent latency: after `warmup` searches have taught it
 * that p95, ranking answers the next request after `slowMs`. The search is sent a second time, the
 * second answers first and wins, and the slow one is cancelled.
 */
export async function showHedgedRead(
  env: ShowcaseEnvironment,
  { slowMs = 2_000, warmup = 25 }: { slowMs?: number; warmup?: number } = {},
): Promise<HedgedReadShowing> {
  const ranking = env.downstreams.ranking;
  for (let i = 0; i < warmup; i++) await get(env.storefrontUrl, `/search?q=${WARMUP_QUERIES[i % WARMUP_QUERIES.length]}`);
  const before = ranking.requestsReceived;
  ranking.configure({ slow: { next: 1, latencyMs: slowMs } });
  let page: Page;
  try {
    page = await get(env.storefrontUrl, '/search?q=oak');
    // The loser's abort reaches ranking just after the winner's answer reached the storefront.
    await settled(ranking, before, slowMs + 2_000);
  } finally {
    ranking.configure({ slow: { next: 0 } });
  }
  const requests = ranking.requests(before);
  const slow = requests.find((request) => request.slow);
  const fast = requests.find((request) => !request.slow);
  const rankedBy = page.body['rankedBy'];
  const passed = requests.length === 2 && slow?.outcome === 'cancelled' && fast?.outcome === 'answered' && rankedBy === 'ml';
  return { passed, evidence: hedgeEvidence(requests, slowMs, page), slowMs, requests, rankedBy, latencyMs: page.latencyMs };
}

function hedgeEvidence(requests: readonly ReceivedRequest[], slowMs: number, page: Page): string[] {
  const [first, second] = requests;
  const summary = `GET /search?q=oak -> ${page.status}, ranked by ${String(page.body['rankedBy'])}, in ${ms(page.latencyMs)}`;
  if (first === undefined || second === undefined) return [`ranking received ${requests.length} request(s): the search was not hedged`, summary];
  const lines = [
    `ranking #${first.seq}${first.slow ? ` (made slow: ${ms(slowMs)})` : ''} arrived first;` +
      ` the hedge #${second.seq}${second.slow ? ` (made slow: ${ms(slowMs)})` : ''} ${ms(second.arrivedAt - first.arrivedAt)} later (the p95 of recent searches)`,
  ];
  for (const request of [second, first]) {
    const role = request === first ? 'first request' : 'hedge';
    const after = request.endedAt === null ? '' : ` ${ms(request.endedAt - request.arrivedAt)} after it arrived`;
    lines.push(`${role} #${request.seq}: ${request.outcome === 'answered' ? `answered ${request.status}` : request.outcome}${after}`);
  }
  lines.push(summary);
  return lines;
}

const WARMUP_QUERIES = ['oak', 'desk', 'lamp', 'chair'];

/** Waits until every request received after `since` has ended (answered, cancelled, ...), `limitMs` at most. */
async function settled(server: ChaosServer, since: number, limitMs: number): Promise<void> {
  const until = performance.now() + limitMs;
  while (server.requests(since).some((request) => request.outcome === 'pending') && performance.now() < until) await sleep(5);
}

interface Page {
  status: number;
  body: Record<string, unknown>;
  latencyMs: number;
}

async function get(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<Page> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  return { status: response.status, body, latencyMs: performance.now() - started };
}

function ms(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')} ms`;
}
