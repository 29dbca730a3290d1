import { LoadLoop, machineNow, sleep } from '@bulwark/local-cluster';
import type { ReplicaProcess } from './replica-process.js';

/** One user call: `GET /call` on a replica. Status 0: no HTTP answer (connection error, 5 s timeout). */
export interface UserCall {
  readonly replica: string;
  readonly start: number;
  readonly end: number;
  readonly status: number;
}

/**
 * Steady user traffic: each replica gets `GET /call` in its own loop, one call at a time, one every
 * `intervalMs` (or right after the previous one when it took longer). The loops start staggered so
 * the replicas are not called in lockstep.
 */
export class ReplicaLoad {
  readonly calls: UserCall[] = [];
  /** Start times of the calls in flight. */
  private readonly inFlight = new Set<{ start: number }>();
  private readonly loop: LoadLoop<ReplicaProcess>;

  constructor(replicas: readonly ReplicaProcess[], intervalMs: number) {
    this.loop = new LoadLoop(replicas, intervalMs, (replica) => this.call(replica));
  }

  start(): this {
    this.loop.start();
    return this;
  }

  /** Stops the loops and waits for the calls in flight. */
  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Resolves once every call that started at or before `time` has ended (so `between` sees them all). */
  async settled(time: number): Promise<void> {
    while ([...this.inFlight].some((call) => call.start <= time)) await sleep(5);
  }

  /** Calls that started in [from, to]. */
  between(from: number, to: number = Infinity): UserCall[] {
    return this.calls.filter((call) => call.start >= from && call.start <= to);
  }

  private async call(replica: ReplicaProcess): Promise<void> {
    const start = machineNow();
    const pending = { start };
    this.inFlight.add(pending);
    let status = 0;
    try {
      const response = await fetch(`${replica.url}/call`, { signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = 0;
    }
    this.inFlight.delete(pending);
    this.calls.push({ replica: replica.id, start, end: machineNow(), status });
  }
}

/** `count` calls by status, e.g. `{ 200: 512, 503: 40 }`. */
export function countByStatus(calls: readonly UserCall[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const call of calls) counts[call.status] = (counts[call.status] ?? 0) + 1;
  return counts;
}
