import type { BenchCase } from './bench-case.js';

type Driver = (
  call: () => unknown,
  n: number,
  expected: unknown,
  isExpectedError: ((error: unknown) => boolean) | undefined,
  id: string,
) => Promise<void>;

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...source: string[]) => Driver;

const RESOLVE_LOOP = `
for (let i = 0; i < n; i++) {
  const value = await call();
  if (value !== expected) throw new Error(id + ': resolved with ' + String(value) + ', expected ' + String(expected));
}`;

const REJECT_LOOP = `
for (let i = 0; i < n; i++) {
  let rejected = false;
  try {
    await call();
  } catch (error) {
    if (!isExpectedError(error)) {
      throw new Error(id + ': unexpected rejection: ' + (error && error.stack ? error.stack : String(error)));
    }
    rejected = true;
  }
  if (!rejected) throw new Error(id + ': resolved, but every call must reject');
}`;

/**
 * A fresh loop per case: each compiled function has its own type feedback, so one case's call
 * target never makes another case's loop polymorphic (a shared loop would go megamorphic and tax
 * every case, the bare call included, with whatever the others did).
 */
function compileDriver(bench: BenchCase): Driver {
  return new AsyncFunction('call', 'n', 'expected', 'isExpectedError', 'id', bench.shape === 'resolve' ? RESOLVE_LOOP : REJECT_LOOP);
}

export interface TimingOptions {
  /** Time spent warming each case up (JIT, inline caches) before calibration ends. */
  readonly warmupMs: number;
  /** Wall time aimed at per measured batch: large enough to dwarf timer resolution and jitter. */
  readonly batchTargetMs: number;
  readonly minCalls: number;
  readonly maxCalls: number;
}

/** A case ready to be timed: compiled loop, calibrated batch size. */
export class TimedCase {
  private readonly driver: Driver;
  batch = 0;

  constructor(readonly bench: BenchCase) {
    this.driver = compileDriver(bench);
  }

  /** Runs `n` calls, checking each outcome; throws on the first wrong one. */
  async run(n: number): Promise<void> {
    const bench = this.bench;
    await this.driver(bench.call, n, bench.expected, bench.isExpectedError, bench.id);
  }

  /**
   * Nanoseconds per call over one batch of `n` calls. No forced GC around batches: a batch right
   * after `gc()` ran about 2x slower (measured: decorated stack 11.5 µs vs 5.3 µs; most likely the
   * shrunken young generation scavenging more often). In steady state each batch pays for its
   * own garbage, as a server does.
   */
  async time(n = this.batch): Promise<number> {
    const start = process.hrtime.bigint();
    await this.run(n);
    return Number(process.hrtime.bigint() - start) / n;
  }

  /**
   * Warms the case up, then sizes its batch for `batchTargetMs` (or uses `fixedBatch`). Doubling
   * batches until one lasts 10 ms also reveals a case that is much slower than expected.
   */
  async calibrate(options: TimingOptions, fixedBatch?: number): Promise<void> {
    await this.run(1);
    let n = 500;
    let spentNs = 0;
    let perCall = 0;
    for (;;) {
      perCall = await this.time(n);
      spentNs += perCall * n;
      const batchNs = perCall * n;
      if (batchNs < 10e6 && n < options.maxCalls) {
        n = Math.min(n * 2, options.maxCalls);
        continue;
      }
      if (spentNs >= options.warmupMs * 1e6) break;
    }
    const sized = Math.round((options.batchTargetMs * 1e6) / perCall);
    this.batch = fixedBatch ?? Math.max(options.minCalls, Math.min(options.maxCalls, sized));
  }
}

/** One round's measurement of a case and of the bare call timed right next to it. */
export interface PairSample {
  readonly id: string;
  readonly ns: number;
  readonly bareNs: number;
}

/**
 * Step `step` of an interleaved round: the case at that position of the round's order (rotated
 * each round), timed right next to a bare batch (A B, then B A on odd rounds so neither side
 * always runs first). Every step of a round runs every case once.
 */
export async function runStep(bare: TimedCase, cases: readonly TimedCase[], round: number, step: number): Promise<PairSample> {
  const timed = cases[(step + round) % cases.length]!;
  let bareNs: number;
  let ns: number;
  if (round % 2 === 0) {
    bareNs = await bare.time();
    ns = await timed.time();
  } else {
    ns = await timed.time();
    bareNs = await bare.time();
  }
  return { id: timed.bench.id, ns, bareNs };
}
