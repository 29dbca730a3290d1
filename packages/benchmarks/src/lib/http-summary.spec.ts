import { describe, expect, it } from '@jest/globals';
import { summarizeHttp, type HttpTarget, type LoadRun } from './http-summary.js';

/** One round's runs from server CPU per request (µs) and requests/s per endpoint. */
function round(figures: Record<HttpTarget, [cpu: number, rps: number]>): LoadRun[] {
  return (Object.keys(figures) as HttpTarget[]).map((target) => ({
    target,
    serverCpuUsPerRequest: figures[target][0],
    requestsPerSecond: figures[target][1],
    p50Ms: 1,
    p99Ms: 2,
    requests: 1_000,
  }));
}

const FIRST_ROUND: Record<HttpTarget, [cpu: number, rps: number]> = {
  bare: [300, 3_000],
  decorated: [306, 2_940],
  'decorated-metrics': [309, 2_910],
  'bare-again': [303, 2_970],
  'bare-x100': [400, 2_500],
  'decorated-x100': [500, 2_000],
  'decorated-metrics-x100': [520, 1_900],
};

describe('summarizeHttp', () => {
  it('pairs every endpoint with /bare of the same round, and prices one decorated call from the x100 pair', () => {
    const runs = [
      ...round(FIRST_ROUND),
      // A slower round: ratios are taken within it, not across rounds.
      ...round({
        bare: [600, 1_500],
        decorated: [612, 1_470],
        'decorated-metrics': [618, 1_455],
        'bare-again': [606, 1_485],
        'bare-x100': [800, 1_250],
        'decorated-x100': [1_000, 1_000],
        'decorated-metrics-x100': [1_040, 950],
      }),
    ];
    const result = summarizeHttp(runs, { connections: 10, durationSeconds: 2, rounds: 2 });
    expect(result.rounds).toBe(2);
    expect(result.callsPerAmplifiedRequest).toBe(100);
    expect(result.cpuRatio.median).toBeCloseTo(1.02, 10);
    expect(result.rpsRatio.median).toBeCloseTo(0.98, 10);
    expect(result.cpuRatioMetrics.median).toBeCloseTo(1.03, 10);
    expect(result.cpuRatioControl.median).toBeCloseTo(1.01, 10);
    expect(result.rpsRatioControl.median).toBeCloseTo(0.99, 10);
    // (500 - 400) / 100 = 1 µs and (1,000 - 800) / 100 = 2 µs; with metrics 1.2 and 2.4 µs.
    expect([result.decoratedCallCpuUs.min, result.decoratedCallCpuUs.max]).toEqual([1, 2]);
    expect(result.decoratedMetricsCallCpuUs.min).toBeCloseTo(1.2, 10);
    expect(result.decoratedMetricsCallCpuUs.max).toBeCloseTo(2.4, 10);
    // One such call on a bare request: 300 / 301 and 600 / 602 of its requests/s.
    expect(result.impliedRatio.min).toBeCloseTo(300 / 301, 10);
    expect(result.impliedRatio.max).toBeCloseTo(300 / 301, 10);
    expect(result.impliedRatioMetrics.median).toBeCloseTo(300 / 301.2, 10);
    expect(result.bareX100.serverCpuUsPerRequest.median).toBe(600);
  });

  it('refuses runs whose endpoints do not line up round by round', () => {
    const runs = round(FIRST_ROUND);
    expect(() => summarizeHttp([...runs, runs[1]!], { connections: 10, durationSeconds: 2, rounds: 1 })).toThrow('different lengths');
  });
});
