import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AimdLimit } from './aimd.limit.js';
import { Gradient2Limit } from './gradient2.limit.js';
import type { LimitAlgorithm } from './limit-algorithm.interface.js';
import { simulate, type SimulationResult } from './testing/simulated-server.js';
import { VegasLimit } from './vegas.limit.js';

/**
 * The limit algorithms against a simulated server (virtual time, seeded: deterministic whatever the
 * machine's load) of `workers` workers behind a FIFO queue: latency is flat up to `workers` calls in
 * flight, the knee, and grows linearly past it. Offered load is above capacity, so an algorithm that
 * let everything through would queue without bound.
 */

interface Server {
  workers: number;
  serviceMs: number;
  jitter: number;
  /** Offered load as a multiple of capacity (`workers / serviceMs` calls per ms). */
  overload: number;
  seed: number;
}

/**
 * Knees from 8 workers: below, Gradient2's `queueSize` headroom (4 calls) is as large as the knee
 * itself and a step of one call is a quarter of the limit, so bands stated in shares of the knee
 * do not apply (the limit still settles, at about 3 times such a knee).
 */
const servers: fc.Arbitrary<Server> = fc.record({
  workers: fc.integer({ min: 8, max: 48 }),
  serviceMs: fc.integer({ min: 2, max: 50 }),
  jitter: fc.double({ min: 0, max: 0.3, noNaN: true }),
  overload: fc.double({ min: 1.2, max: 4, noNaN: true }),
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
});

/** Round trips (of the unloaded latency) of simulated time. */
const WARMUP_ROUND_TRIPS = 300;
const MEASURED_ROUND_TRIPS = 500;

function run(limit: LimitAlgorithm, server: Server, roundTrips: number, slowdown?: (now: number) => number): SimulationResult {
  const { workers, serviceMs, jitter, overload, seed } = server;
  return simulate({
    limit,
    workers,
    serviceMs,
    serviceJitter: jitter,
    slowdown,
    arrivalsPerMs: (overload * workers) / serviceMs,
    durationMs: roundTrips * serviceMs,
    warmupMs: WARMUP_ROUND_TRIPS * serviceMs,
    traceEveryMs: serviceMs,
    seed,
  });
}

/** The limit every round trip from `fromMs` on, sorted. */
function limitsFrom(result: SimulationResult, fromMs: number): number[] {
  return result.trace.filter(([time]) => time >= fromMs).map(([, limit]) => limit).sort((a, b) => a - b);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Share of `sorted` within `[low, high]`. */
function shareWithin(sorted: readonly number[], low: number, high: number): number {
  return sorted.filter((value) => value >= low && value <= high).length / sorted.length;
}

/** Fixed seeds: the same servers on every run, so a busy machine or a new day never changes a verdict. */
const RUNS = { numRuns: 25, seed: 19 };

describe('Gradient2 against a server with a knee', () => {
  it('converges near the knee: median limit from the knee to twice it (plus queueSize headroom), goodput at least 90% of capacity', () => {
    fc.assert(
      fc.property(servers, (server) => {
        const result = run(new Gradient2Limit(), server, WARMUP_ROUND_TRIPS + MEASURED_ROUND_TRIPS);
        const limits = limitsFrom(result, WARMUP_ROUND_TRIPS * server.serviceMs);
        const median = quantile(limits, 0.5);
        expect(median).toBeGreaterThanOrEqual(server.workers);
        expect(median).toBeLessThanOrEqual(2 * server.workers + 8);
        const capacityPerSecond = (server.workers / server.serviceMs) * 1_000;
        expect(result.goodput).toBeGreaterThanOrEqual(0.9 * capacityPerSecond);
      }),
      RUNS,
    );
  });

  it('does not oscillate once converged: at least 80% of the time within ±25% of its median (the rest: baseline probes)', () => {
    fc.assert(
      fc.property(servers, (server) => {
        const result = run(new Gradient2Limit(), server, WARMUP_ROUND_TRIPS + MEASURED_ROUND_TRIPS);
        const limits = limitsFrom(result, WARMUP_ROUND_TRIPS * server.serviceMs);
        const median = quantile(limits, 0.5);
        expect(shareWithin(limits, 0.75 * median, 1.25 * median)).toBeGreaterThanOrEqual(0.8);
      }),
      RUNS,
    );
  });

  it('dips during a latency spike and is back near the knee after it', () => {
    fc.assert(
      fc.property(servers, (server) => {
        const { serviceMs, workers } = server;
        const spikeFrom = WARMUP_ROUND_TRIPS * serviceMs;
        const spikeTo = spikeFrom + 100 * serviceMs;
        const recovered = spikeTo + 400 * serviceMs;
        const algorithm = new Gradient2Limit();
        const result = run(algorithm, server, recovered / serviceMs + 300, (now) => (now >= spikeFrom && now < spikeTo ? 5 : 1));
        const before = quantile(limitsFrom({ ...result, trace: result.trace.filter(([t]) => t < spikeFrom) }, spikeFrom - 100 * serviceMs), 0.5);
        // The knee in calls is the same at 5x the latency (as many workers): the limit dips while the
        // baseline is the old one, then learns the slower one.
        const during = limitsFrom({ ...result, trace: result.trace.filter(([t]) => t < spikeTo) }, spikeFrom)[0]!;
        expect(during).toBeLessThan(before);
        const after = quantile(limitsFrom(result, recovered), 0.5);
        expect(after).toBeGreaterThanOrEqual(workers);
        expect(after).toBeLessThanOrEqual(2 * workers + 8);
      }),
      RUNS,
    );
  });
});

describe('Vegas and AIMD against a server with a knee', () => {
  // Vegas reads one sample at a time and keeps the fastest call as its baseline: noisier than
  // Gradient2, and small knees stay near the initial limit. Hence the wider band.
  it('Vegas keeps its median limit between 0.4 and 5 times the knee', () => {
    fc.assert(
      fc.property(servers, (server) => {
        const result = run(new VegasLimit(), server, WARMUP_ROUND_TRIPS + MEASURED_ROUND_TRIPS);
        const median = quantile(limitsFrom(result, WARMUP_ROUND_TRIPS * server.serviceMs), 0.5);
        expect(median).toBeGreaterThanOrEqual(0.4 * server.workers);
        expect(median).toBeLessThanOrEqual(5 * server.workers);
      }),
      RUNS,
    );
  });

  it('AIMD with a drop threshold at twice the unloaded latency keeps its median limit below three times the knee', () => {
    fc.assert(
      fc.property(servers, (server) => {
        const algorithm = new AimdLimit({ dropThreshold: 2 * server.serviceMs });
        const result = run(algorithm, server, WARMUP_ROUND_TRIPS + MEASURED_ROUND_TRIPS);
        const median = quantile(limitsFrom(result, WARMUP_ROUND_TRIPS * server.serviceMs), 0.5);
        expect(median).toBeGreaterThanOrEqual(4);
        expect(median).toBeLessThanOrEqual(3 * server.workers);
      }),
      RUNS,
    );
  });
});

describe('every algorithm stays within its bounds', () => {
  const bounds = fc
    .tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }))
    .map(([minLimit, span, at]) => ({ minLimit, maxLimit: minLimit + span, initialLimit: minLimit + Math.floor(span * at) }));
  const samples = fc.array(
    fc.record({
      rtt: fc.oneof(fc.double({ min: 0, max: 10_000, noNaN: true }), fc.constantFrom(0, Number.NaN, -1, Infinity)),
      inFlight: fc.integer({ min: 0, max: 400 }),
      dropped: fc.boolean(),
    }),
    { maxLength: 2_000 },
  );
  const algorithms: Array<[string, (options: { minLimit: number; maxLimit: number; initialLimit: number }) => LimitAlgorithm]> = [
    ['gradient2', (options) => new Gradient2Limit({ ...options, shortWindow: 1, longWindow: 2 })],
    ['vegas', (options) => new VegasLimit({ ...options, probeMultiplier: 1 })],
    ['aimd', (options) => new AimdLimit({ ...options, dropThreshold: 100 })],
  ];

  it.each(algorithms)('%s: an integer in [minLimit, maxLimit] after any samples', (_, create) => {
    fc.assert(
      fc.property(bounds, samples, (options, sequence) => {
        const algorithm = create(options);
        expect(algorithm.limit).toBe(options.initialLimit);
        let now = 0;
        for (const { rtt, inFlight, dropped } of sequence) {
          now += 1;
          const limit = algorithm.onSample(rtt, inFlight, dropped, now);
          expect(limit).toBe(algorithm.limit);
          expect(Number.isInteger(limit)).toBe(true);
          expect(limit).toBeGreaterThanOrEqual(options.minLimit);
          expect(limit).toBeLessThanOrEqual(options.maxLimit);
        }
      }),
      { numRuns: 100, seed: 19 },
    );
  });
});
