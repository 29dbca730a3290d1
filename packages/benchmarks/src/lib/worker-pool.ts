/** Runs `callback` after `ms` milliseconds (`setTimeout` in the server; a fake in specs). */
export type Schedule = (ms: number, callback: () => void) => void;

export interface WorkerPoolOptions {
  /** Requests served at once; the rest wait in FIFO order. */
  readonly workers: number;
  /** Service time of a request when nothing waits, in ms. */
  readonly serviceMs: number;
  /**
   * Contention: each `workers` requests waiting make a request that starts now this much slower
   * (0.1: +10 % per `workers` waiting), as a backlog costs a real server memory and scheduling.
   */
  readonly contention: number;
  /** The service time never exceeds `serviceMs` times this. */
  readonly maxSlowdown: number;
}

/**
 * 16 workers of 100 ms: 160 requests/s, so 3x (480 requests/s, two thirds of them answered 503)
 * leaves the storefront and the load generator CPU to spare on a two-core machine; at 50 ms the
 * storefront alone used most of a core at 2x and its own queueing blurred the downstream's.
 */
export const DOWNSTREAM_POOL: WorkerPoolOptions = Object.freeze({ workers: 16, serviceMs: 100, contention: 0.1, maxSlowdown: 2 });

/** Requests per second the pool completes when saturated and nothing waits: `workers / serviceMs`. */
export function poolCapacity(options: WorkerPoolOptions): number {
  return (options.workers * 1_000) / options.serviceMs;
}

/**
 * The capacity-limited downstream of the overload benchmark: `workers` requests in service, the
 * others queued without bound (FIFO), each request's service time fixed when it starts from how
 * many wait behind it. Below the knee latency is the service time; past it latency grows with the
 * queue, and the service time with it (mildly, up to `maxSlowdown`).
 */
export class WorkerPool {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];
  private head = 0;

  constructor(
    private readonly options: WorkerPoolOptions,
    private readonly schedule: Schedule,
  ) {}

  /** Requests in service. */
  get inService(): number {
    return this.busy;
  }

  /** Requests waiting for a worker. */
  get queued(): number {
    return this.waiting.length - this.head;
  }

  /** Serves one request: `done` runs when its service ends. */
  submit(done: () => void): void {
    if (this.busy < this.options.workers) this.start(done);
    else this.waiting.push(done);
  }

  /** The service time of a request starting now. */
  serviceTimeMs(): number {
    const { serviceMs, contention, maxSlowdown, workers } = this.options;
    const slowdown = 1 + (contention * this.queued) / workers;
    return serviceMs * (slowdown > maxSlowdown ? maxSlowdown : slowdown);
  }

  private start(done: () => void): void {
    this.busy++;
    this.schedule(this.serviceTimeMs(), () => {
      this.busy--;
      done();
      const next = this.next();
      if (next !== undefined) this.start(next);
    });
  }

  private next(): (() => void) | undefined {
    if (this.head === this.waiting.length) return undefined;
    const next = this.waiting[this.head++];
    // Compact once the consumed prefix dominates, so a long backlog stays O(1) per request.
    if (this.head > 1_024 && this.head * 2 > this.waiting.length) {
      this.waiting.splice(0, this.head);
      this.head = 0;
    }
    return next;
  }
}
