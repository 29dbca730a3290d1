/**
 * Runs one case alone for a while, for `node --cpu-prof`: the profile then shows that case's hot
 * path (and the bare loop around it) and nothing else.
 */
import { buildCases, type Condition } from '../cases/all.cases.js';
import { TimedCase } from '../lib/timing.js';
import { numberParam, stringParam, type SuiteParams } from '../lib/suite-protocol.js';

export interface ProfileTargetResult {
  readonly id: string;
  readonly calls: number;
  readonly nsPerCall: number;
  /** The measured window on the monotonic clock, in µs (the clock of .cpuprofile timestamps). */
  readonly windowStartUs: number;
  readonly windowEndUs: number;
}

export async function run(params: SuiteParams): Promise<ProfileTargetResult> {
  const id = stringParam(params, 'case');
  const seconds = numberParam(params, 'seconds', 5);
  const condition = (params.condition as Condition | undefined) ?? 'als-on';
  const set = await buildCases(condition);
  try {
    const bench = id === 'bare' ? set.bare : set.cases.find((one) => one.id === id);
    if (bench === undefined) throw new Error(`unknown case ${id}; one of ${set.cases.map((one) => one.id).join(', ')}`);
    const timed = new TimedCase(bench);
    await timed.calibrate({ warmupMs: 300, batchTargetMs: 50, minCalls: 1_000, maxCalls: 200_000 });
    // No forced GC here (the profiler would charge it to the case): run without --expose-gc.
    const start = process.hrtime.bigint();
    const until = start + BigInt(seconds * 1e9);
    let calls = 0;
    while (process.hrtime.bigint() < until) {
      await timed.run(timed.batch);
      calls += timed.batch;
    }
    const end = process.hrtime.bigint();
    return {
      id,
      calls,
      nsPerCall: Number(end - start) / calls,
      windowStartUs: Number(start / 1000n),
      windowEndUs: Number(end / 1000n),
    };
  } finally {
    await set.close();
  }
}
