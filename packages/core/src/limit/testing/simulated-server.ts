import type { LimitAlgorithm } from '../limit-algorithm.interface.js';

/**
 * A discrete-event simulation, in virtual time and synchronous, of a limiter in front of a server:
 * the server has `workers` workers and a FIFO queue, so its latency is flat up to `workers` calls
 * in flight (the knee) and grows linearly past it. The limiter admits while fewer than its limit
 * run, keeps up to `maxQueue` callers waiting (FIFO), rejects the rest, and feeds each completed
 * call to the algorithm as the adaptive bulkhead does (latency from slot to settlement, in-flight
 * count including the call). For the property specs: thousands of calls per millisecond of CPU.
 */
export interface SimulationOptions {
  /** The adaptive limit, a fixed limit, or `undefined` for none. */
  limit: LimitAlgorithm | number | undefined;
  /** Server workers: the knee. */
  workers: number;
  /** Mean service time of one call, in ms. */
  serviceMs: number;
  /** Service times and arrivals exponential (M/M/c-like) rather than all `serviceMs`, evenly spaced. */
  exponential?: boolean;
  /** Service times uniform in `serviceMs * (1 ± serviceJitter)`, in [0, 1). Default 0. */
  serviceJitter?: number;
  /** Multiplier of the service time of calls that start at `now` (a latency spike). */
  slowdown?: (now: number) => number;
  /** Arrivals per ms (Poisson when `exponential`, else evenly spaced), or a function of time. */
  arrivalsPerMs: number | ((now: number) => number);
  durationMs: number;
  /** Callers the limiter lets wait. Default 0. */
  maxQueue?: number;
  /** A call slower than this (from its slot) is dropped: its caller fails at the timeout. Default none. */
  timeoutMs?: number;
  /** A call is good when it succeeded within this many ms of its arrival. Default 1 000. */
  sloMs?: number;
  /** Calls completing before this time are not counted in the results. Default 0. */
  warmupMs?: number;
  /** Records the limit every this many ms (`trace`). Default 100. */
  traceEveryMs?: number;
  seed?: number;
}

export interface SimulationResult {
  /** Calls that succeeded within the SLO, per second of measured time. */
  goodput: number;
  /** Latency of successful calls from arrival (queue wait included), in ms. */
  p50: number;
  p99: number;
  /** Mean latency of successful calls from their slot (the server's latency), in ms. */
  meanRtt: number;
  rejected: number;
  failed: number;
  succeeded: number;
  /** Most callers waiting at once in the server's own queue. */
  maxServerQueue: number;
  /** `[time, limit]` every `traceEveryMs`. */
  trace: Array<[number, number]>;
}

/** xorshift32: deterministic from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
}

interface Call {
  arrivedAt: number;
  startedAt: number;
}

const ARRIVAL = 0;
const DONE = 1;

/** Binary min-heap of events by time, ties in insertion order. */
class EventHeap {
  private times: number[] = [];
  private seqs: number[] = [];
  private kinds: number[] = [];
  private calls: Array<Call | undefined> = [];
  private seq = 0;

  get size(): number {
    return this.times.length;
  }

  push(time: number, kind: number, call: Call | undefined): void {
    this.times.push(time);
    this.seqs.push(this.seq++);
    this.kinds.push(kind);
    this.calls.push(call);
    let i = this.times.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Removes the earliest event into `out`. */
  pop(out: { time: number; kind: number; call: Call | undefined }): void {
    out.time = this.times[0]!;
    out.kind = this.kinds[0]!;
    out.call = this.calls[0];
    const last = this.times.length - 1;
    this.swap(0, last);
    this.times.pop();
    this.seqs.pop();
    this.kinds.pop();
    this.calls.pop();
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < this.times.length && this.before(left, least)) least = left;
      if (right < this.times.length && this.before(right, least)) least = right;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private before(a: number, b: number): boolean {
    return this.times[a]! < this.times[b]! || (this.times[a] === this.times[b] && this.seqs[a]! < this.seqs[b]!);
  }

  private swap(a: number, b: number): void {
    [this.times[a], this.times[b]] = [this.times[b]!, this.times[a]!];
    [this.seqs[a], this.seqs[b]] = [this.seqs[b]!, this.seqs[a]!];
    [this.kinds[a], this.kinds[b]] = [this.kinds[b]!, this.kinds[a]!];
    [this.calls[a], this.calls[b]] = [this.calls[b], this.calls[a]];
  }
}

/** Runs the simulation to `durationMs` and reports what callers saw after `warmupMs`. */
export function simulate(options: SimulationOptions): SimulationResult {
  const random = seededRandom(options.seed ?? 1);
  const { workers, serviceMs, durationMs } = options;
  const exponential = options.exponential ?? false;
  const jitter = options.serviceJitter ?? 0;
  const maxQueue = options.maxQueue ?? 0;
  const timeoutMs = options.timeoutMs ?? Infinity;
  const sloMs = options.sloMs ?? 1_000;
  const warmupMs = options.warmupMs ?? 0;
  const traceEveryMs = options.traceEveryMs ?? 100;
  const algorithm = typeof options.limit === 'object' ? options.limit : undefined;
  const fixed = typeof options.limit === 'number' ? options.limit : Infinity;
  const rateAt = typeof options.arrivalsPerMs === 'number' ? constant(options.arrivalsPerMs) : options.arrivalsPerMs;
  const limitNow = (): number => (algorithm === undefined ? fixed : algorithm.limit);

  const events = new EventHeap();
  const waiting: Call[] = [];
  let waitingHead = 0;
  const serverQueue: Call[] = [];
  let serverHead = 0;
  let busy = 0;
  let inFlight = 0;
  let maxServerQueue = 0;
  const latencies: number[] = [];
  let rttSum = 0;
  let good = 0;
  let rejected = 0;
  let failed = 0;
  const trace: Array<[number, number]> = [];
  let nextTrace = 0;
  let now = 0;

  const serve = (call: Call): void => {
    busy++;
    const factor = options.slowdown === undefined ? 1 : options.slowdown(now);
    const spread = exponential ? -Math.log(1 - random()) : jitter === 0 ? 1 : 1 + jitter * (2 * random() - 1);
    const service = serviceMs * factor * spread;
    events.push(now + service, DONE, call);
  };
  const admit = (call: Call): void => {
    inFlight++;
    call.startedAt = now;
    if (busy < workers) serve(call);
    else {
      serverQueue.push(call);
      const queued = serverQueue.length - serverHead;
      if (queued > maxServerQueue) maxServerQueue = queued;
    }
  };
  const nextArrival = (): number => {
    const rate = rateAt(now);
    if (!(rate > 0)) return now + 1;
    return now + (exponential ? -Math.log(1 - random()) / rate : 1 / rate);
  };

  events.push(0, ARRIVAL, undefined);
  const event = { time: 0, kind: 0, call: undefined as Call | undefined };
  while (events.size > 0) {
    events.pop(event);
    if (event.time > durationMs) break;
    now = event.time;
    while (now >= nextTrace) {
      trace.push([nextTrace, limitNow()]);
      nextTrace += traceEveryMs;
    }
    if (event.kind === ARRIVAL) {
      const call: Call = { arrivedAt: now, startedAt: NaN };
      if (inFlight < limitNow() && waitingHead === waiting.length) admit(call);
      else if (waiting.length - waitingHead < maxQueue) waiting.push(call);
      else if (now >= warmupMs) rejected++;
      events.push(nextArrival(), ARRIVAL, undefined);
      continue;
    }
    const call = event.call!;
    busy--;
    if (serverHead < serverQueue.length) serve(serverQueue[serverHead++]!);
    if (serverHead > 1024 && serverHead * 2 > serverQueue.length) serverQueue.splice(0, serverHead), (serverHead = 0);
    const rtt = now - call.startedAt;
    const dropped = rtt > timeoutMs;
    if (now >= warmupMs) {
      if (dropped) failed++;
      else {
        const total = now - call.arrivedAt;
        latencies.push(total);
        rttSum += rtt;
        if (total <= sloMs) good++;
      }
    }
    algorithm?.onSample(rtt, inFlight, dropped, now);
    inFlight--;
    while (waitingHead < waiting.length && inFlight < limitNow()) admit(waiting[waitingHead++]!);
    if (waitingHead > 1024 && waitingHead * 2 > waiting.length) waiting.splice(0, waitingHead), (waitingHead = 0);
  }
  latencies.sort((a, b) => a - b);
  const percentile = (p: number): number => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!);
  const seconds = (durationMs - warmupMs) / 1_000;
  return {
    goodput: good / seconds,
    p50: percentile(0.5),
    p99: percentile(0.99),
    meanRtt: latencies.length === 0 ? NaN : rttSum / latencies.length,
    rejected,
    failed,
    succeeded: latencies.length,
    maxServerQueue,
    trace,
  };
}

function constant(value: number): () => number {
  return () => value;
}
