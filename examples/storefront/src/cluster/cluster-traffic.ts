import { LoadLoop } from '@bulwark/local-cluster';
import type { ReplicaProcess } from './replica-process.js';

const PRODUCTS = ['1', '2', '3', '4', '5', '6', '7', '8'];

/** What the users of the cluster got. */
export interface TrafficTally {
  requests: number;
  /** HTTP 200 with a live price. */
  live: number;
  /** HTTP 200 with the last known price (pricing down or its breaker open). */
  cached: number;
  /** HTTP 200 without a price: pricing down before this replica ever priced the product. */
  unavailable: number;
  /** An error status or no answer. */
  failed: number;
}

/**
 * Steady shoppers: each replica gets `GET /products/:id` in its own loop, one request at a time,
 * one every `intervalMs`, cycling through the catalogue.
 */
export class ClusterTraffic {
  readonly tally: TrafficTally = { requests: 0, live: 0, cached: 0, unavailable: 0, failed: 0 };
  /** Per replica, the products it has priced live (and can therefore show cached later). */
  private readonly priced = new Map<string, Set<string>>();
  private readonly loop: LoadLoop<ReplicaProcess>;

  constructor(
    private readonly replicas: readonly ReplicaProcess[],
    intervalMs: number,
  ) {
    // Each replica starts at its own place in the catalogue.
    this.loop = new LoadLoop(replicas, intervalMs, (replica, n, position) => this.request(replica, PRODUCTS[(position + n) % PRODUCTS.length]!));
  }

  start(): void {
    this.loop.start();
  }

  /** Whether every replica has priced the whole catalogue live at least once. */
  get warm(): boolean {
    return this.replicas.every((replica) => (this.priced.get(replica.id)?.size ?? 0) === PRODUCTS.length);
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async request(replica: ReplicaProcess, product: string): Promise<void> {
    this.tally.requests++;
    try {
      const response = await fetch(`${replica.url}/products/${product}`, { signal: AbortSignal.timeout(10_000) });
      const body = (await response.json()) as { priceSource?: string };
      if (response.status !== 200) {
        this.tally.failed++;
      } else if (body.priceSource === 'live') {
        this.tally.live++;
        let priced = this.priced.get(replica.id);
        if (priced === undefined) this.priced.set(replica.id, (priced = new Set()));
        priced.add(product);
      } else if (body.priceSource === 'cached') {
        this.tally.cached++;
      } else {
        this.tally.unavailable++;
      }
    } catch {
      this.tally.failed++;
    }
  }
}
