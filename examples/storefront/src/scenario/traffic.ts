import type { CircuitBreakerState } from '@bulwark/core';
import type { DependencyName } from '../app/storefront.options.js';

export type Endpoint = 'products' | 'search' | 'dashboard';
export const ENDPOINTS: readonly Endpoint[] = ['products', 'search', 'dashboard'];

/** What a client got. Everything but `failed` is an HTTP 200 with a body of the documented shape. */
export type Outcome = 'live' | 'cached' | 'unavailable' | 'ml' | 'fallback' | 'stale' | 'failed';

/** Outcomes served from a degradation path rather than the dependency. */
export const DEGRADED_OUTCOMES: ReadonlySet<Outcome> = new Set<Outcome>(['cached', 'unavailable', 'fallback', 'stale']);

/** The endpoint whose answer depends on each dependency. */
export const ENDPOINT_OF: Readonly<Record<DependencyName, Endpoint>> = { pricing: 'products', ranking: 'search', metrics: 'dashboard' };

export interface RequestRecord {
  readonly endpoint: Endpoint;
  readonly path: string;
  /** Scenario time (ms) the request was sent. */
  readonly startedAt: number;
  readonly latencyMs: number;
  /** HTTP status, 0 when no response arrived. */
  readonly status: number;
  readonly outcome: Outcome;
  /** A short human note: the price, the age of stale data, the error. */
  readonly detail: string;
}

/** One round of traffic: a request to each endpoint, sent together. */
export interface TickRecord {
  readonly tick: number;
  readonly startedAt: number;
  readonly requests: readonly RequestRecord[];
  /** Breaker states when the round was sent: what its requests met. */
  readonly states: Readonly<Record<DependencyName, CircuitBreakerState>>;
}

const PRODUCT_IDS = ['1', '2', '3', '4'];
const QUERIES = ['oak', 'desk lamp', 'chair', 'desk'];

/**
 * Steady, open-loop traffic: every `tickMs` one request to each endpoint, whether or not the
 * previous ones have answered, as real users would keep arriving during an outage.
 */
export class Traffic {
  readonly records: RequestRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private ticks = 0;
  private completed = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly baseUrl: string,
    private readonly tickMs: number,
    private readonly requestTimeoutMs: number,
    private readonly now: () => number,
    private readonly states: () => Record<DependencyName, CircuitBreakerState>,
    private readonly onStart: (tick: number, at: number) => void,
    private readonly onTick: (tick: TickRecord) => void,
  ) {}

  /** Rounds sent. */
  get tickCount(): number {
    return this.ticks;
  }

  /** Rounds whose every request has answered. */
  get completedRounds(): number {
    return this.completed;
  }

  start(): void {
    this.fire();
    this.timer = setInterval(() => this.fire(), this.tickMs);
  }

  /** Stops sending and waits for every request in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight);
  }

  private fire(): void {
    const tick = this.ticks++;
    const startedAt = this.now();
    const states = this.states();
    this.onStart(tick, startedAt);
    const round = Promise.all([
      this.request('products', `/products/${PRODUCT_IDS[tick % PRODUCT_IDS.length]}`),
      this.request('search', `/search?q=${encodeURIComponent(QUERIES[tick % QUERIES.length]!)}`),
      this.request('dashboard', '/dashboard'),
    ]).then((requests) => {
      this.records.push(...requests);
      this.completed++;
      this.onTick({ tick, startedAt, requests, states });
    });
    this.inFlight.add(round);
    void round.finally(() => this.inFlight.delete(round));
  }

  private async request(endpoint: Endpoint, path: string): Promise<RequestRecord> {
    const startedAt = this.now();
    let status = 0;
    let body: unknown;
    let error: unknown;
    try {
      const response = await fetch(`${this.baseUrl}${path}`, { signal: AbortSignal.timeout(this.requestTimeoutMs) });
      status = response.status;
      body = await response.json().catch(() => undefined);
    } catch (caught) {
      error = caught;
    }
    const latencyMs = Math.round(this.now() - startedAt);
    const { outcome, detail } = error === undefined ? classify(endpoint, status, body) : { outcome: 'failed' as const, detail: describe(error) };
    return { endpoint, path, startedAt, latencyMs, status, outcome, detail };
  }
}

/** Reads the degradation marker each endpoint puts in its body. */
export function classify(endpoint: Endpoint, status: number, body: unknown): { outcome: Outcome; detail: string } {
  const record = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  if (status !== 200 || record === undefined) return { outcome: 'failed', detail: `HTTP ${status}` };
  if (endpoint === 'products') {
    const source = record['priceSource'];
    if (source === 'live') return { outcome: 'live', detail: `${String(record['price'])} ${String(record['currency'])}` };
    if (source === 'cached') return { outcome: 'cached', detail: `price ${formatAge(record['priceAgeMs'])} old` };
    if (source === 'unavailable') return { outcome: 'unavailable', detail: 'no price known' };
  } else if (endpoint === 'search') {
    const rankedBy = record['rankedBy'];
    const hits = Array.isArray(record['results']) ? record['results'].length : 0;
    if (rankedBy === 'ml' || rankedBy === 'fallback') return { outcome: rankedBy, detail: `${hits} results` };
  } else {
    const source = record['source'];
    if (source === 'live' || source === 'stale') return { outcome: source, detail: `figures ${formatAge(record['ageMs'])} old` };
    if (source === 'unavailable') return { outcome: 'unavailable', detail: 'no figures' };
  }
  return { outcome: 'failed', detail: 'unexpected body' };
}

export function formatAge(ms: unknown): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '?';
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.name === 'TimeoutError' ? 'no answer (client timeout)' : error.message;
  return String(error);
}
