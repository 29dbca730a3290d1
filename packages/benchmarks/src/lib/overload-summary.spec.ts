import { describe, expect, it } from '@jest/globals';
import { CONNECTION_ERROR, TIMED_OUT } from './open-loop.js';
import { overloadPoint } from './testing/overload-fixture.js';
import { bestStatic, errorCount, evaluateOverloadTargets, summarizeWindow, type OverloadPoint } from './overload-summary.js';

/** A run of requests due every 10 ms from `rows` of [status, latency]. */
function outcomes(rows: readonly [status: number, latency: number][]) {
  return {
    scheduledMs: rows.map((_, index) => index * 10),
    status: rows.map(([status]) => status),
    latencyMs: rows.map(([, latency]) => latency),
  };
}

function point(variant: OverloadPoint['variant'], goodputRps: number, p99Ms = 100, maxConcurrent?: number): OverloadPoint {
  return overloadPoint(variant, 2, { goodputRps, p99Ms, ...(maxConcurrent === undefined ? {} : { maxConcurrent }) });
}

describe('summarizeWindow', () => {
  it('counts only requests due in the window; goodput is 2xx within the SLO per second', () => {
    const run = outcomes([
      [200, 5_000], // due at 0: before the window
      [200, 100],
      [200, 900],
      [200, 1_000], // exactly the SLO: good
      [200, 1_001], // late: a 2xx, not goodput
      [503, 2],
      [500, 3],
      [TIMED_OUT, 2_000],
      [CONNECTION_ERROR, 1],
      [200, 50],
      [200, 1], // due at 100: after the window
    ]);
    const figures = summarizeWindow(run, 10, 100, 1_000);
    expect(figures.offered).toBe(9);
    // 4 good answers over 0.09 s.
    expect(figures.goodputRps).toBeCloseTo(4 / 0.09, 10);
    expect(figures.okRps).toBeCloseTo(5 / 0.09, 10);
    expect([figures.rejected, figures.otherNon2xx, figures.timeouts, figures.connectionErrors]).toEqual([1, 1, 1, 1]);
    expect(errorCount(figures)).toBe(4);
    // 2xx latencies 50, 100, 900, 1000, 1001: interpolated quantiles.
    expect(figures.p50Ms).toBe(900);
    expect(figures.p99Ms).toBeCloseTo(1_000 + 0.96, 10);
  });

  it('has no latency percentiles when nothing succeeded', () => {
    const figures = summarizeWindow(outcomes([[503, 1], [TIMED_OUT, 2_000]]), 0, 1_000, 1_000);
    expect(figures.goodputRps).toBe(0);
    expect(Number.isNaN(figures.p99Ms)).toBe(true);
  });
});

describe('the targets', () => {
  it('picks the static bulkhead with the best goodput, the smaller on a tie', () => {
    const sweep = [point('static', 100, 100, 4), point('static', 300, 100, 16), point('static', 300, 100, 24), point('static', 250, 100, 32)];
    expect(bestStatic(sweep).maxConcurrent).toBe(16);
  });

  it('judges adaptive against no limit (1.5x), the best static (0.9x) and twice the unloaded p99', () => {
    const met = evaluateOverloadTargets([point('adaptive', 280, 190), point('no-limit', 0, 1_900), point('static', 300, 150, 16)], 2, 100);
    expect(met.map((one) => one.verdict)).toEqual(['met', 'met', 'met']);
    expect(met[0]!.figure).toBe('280 vs 0 req/s (∞×)');
    expect(met[1]!.figure).toBe('280 vs 300 req/s, maxConcurrent 16 (0.93×)');
    expect(met[2]!.figure).toBe('190.0 ms vs 2 × 100.0 = 200.0 ms (1.900× the unloaded p99)');
    const missed = evaluateOverloadTargets([point('adaptive', 260, 210), point('no-limit', 200, 1_900), point('static', 300, 150, 16)], 2, 100);
    expect(missed.map((one) => one.verdict)).toEqual(['missed', 'missed', 'missed']);
  });

  it('says what it could not judge', () => {
    expect(evaluateOverloadTargets([point('no-limit', 0)], 2, 100).map((one) => one.verdict)).toEqual(['not measured', 'not measured', 'not measured']);
  });
});
