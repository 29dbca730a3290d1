/**
 * Heap bytes and live timers per in-flight timed call: N concurrent calls that stay pending until
 * released, through one target, measured against the same N calls without it, in one fresh process.
 */
import { TimeoutPolicy } from '@bulwark/core';
import { TimeoutStrategy, timeout as cockatielTimeout } from 'cockatiel';
import { hasGc, liveTimers, settleHeap } from '../lib/process-probes.js';
import { installTimerCensus, liveTimersIncludingUnref } from '../lib/timer-census.js';
import { numberParam, stringParam, type SuiteParams } from '../lib/suite-protocol.js';

export interface PhaseResult {
  readonly bytesPerCall: number;
  /** Ref'd timers in the process (`process.getActiveResourcesInfo()`) while the calls are pending. */
  readonly timersWhilePending: number;
  /** Every live timer in the process, unref'd included (the process has no other timers). */
  readonly timersWhilePendingInclUnref: number;
  readonly timersAfterSettle: number;
  readonly timersAfterSettleInclUnref: number;
  /** From releasing the gate to every call resolved. */
  readonly settleMs: number;
}

export interface InflightResult {
  readonly target: string;
  readonly count: number;
  readonly baseline: PhaseResult;
  readonly measured: PhaseResult;
  /** What the target adds per pending call: target minus baseline. */
  readonly addedBytesPerCall: number;
}

interface Target {
  /** Makes the next calls wait on `gate`. */
  setGate(gate: Promise<number>): void;
  baseline(): Promise<number>;
  call(): Promise<number>;
  close(): Promise<void>;
}

async function createTarget(name: string): Promise<Target> {
  let gate: Promise<number> = Promise.resolve(42);
  // The dependency: an async function awaiting a shared gate, like a call awaiting a socket.
  const dependency = async (): Promise<number> => gate;
  const setGate = (next: Promise<number>): void => {
    gate = next;
  };
  switch (name) {
    case 'bulwark-timeout': {
      const policy = new TimeoutPolicy({ name: 'inflight', duration: 60_000 });
      return { setGate, baseline: dependency, call: () => policy.execute(dependency), close: async () => undefined };
    }
    case 'cockatiel-timeout': {
      const policy = cockatielTimeout(60_000, TimeoutStrategy.Aggressive);
      return { setGate, baseline: dependency, call: () => policy.execute(dependency), close: async () => undefined };
    }
    case 'decorated': {
      const { bootBenchContext } = await import('../cases/nest-bench.app.js');
      const { client, app } = await bootBenchContext();
      return {
        setGate: (next) => {
          client.gate = next;
        },
        baseline: () => client.plainWaitGate(),
        call: () => client.waitGate(),
        close: () => app.close(),
      };
    }
    default:
      throw new Error(`unknown --target=${name}`);
  }
}

async function measure(target: Target, start: () => Promise<number>, count: number): Promise<PhaseResult> {
  let release!: (value: number) => void;
  target.setGate(new Promise<number>((resolve) => (release = resolve)));
  const pending: Promise<number>[] = new Array(count).fill(undefined);
  const before = await settleHeap();
  for (let i = 0; i < count; i++) pending[i] = start();
  const after = await settleHeap();
  const timersWhilePending = liveTimers();
  const timersWhilePendingInclUnref = liveTimersIncludingUnref();
  const releasedAt = process.hrtime.bigint();
  release(42);
  const values = await Promise.all(pending);
  const settleMs = Number(process.hrtime.bigint() - releasedAt) / 1e6;
  for (let i = 0; i < count; i++) {
    if (values[i] !== 42) throw new Error(`call ${i} resolved with ${String(values[i])}, expected 42`);
  }
  await settleHeap();
  return {
    bytesPerCall: (after - before) / count,
    timersWhilePending,
    timersWhilePendingInclUnref,
    timersAfterSettle: liveTimers(),
    timersAfterSettleInclUnref: liveTimersIncludingUnref(),
    settleMs,
  };
}

export async function run(params: SuiteParams): Promise<InflightResult> {
  if (!hasGc) throw new Error('run with --expose-gc');
  installTimerCensus();
  const name = stringParam(params, 'target');
  const count = numberParam(params, 'count', 10_000);
  const target = await createTarget(name);
  try {
    // A small round first, so code and first-call allocations are not counted.
    await measure(target, () => target.baseline(), 1_000);
    await measure(target, () => target.call(), 1_000);
    const baseline = await measure(target, () => target.baseline(), count);
    const measured = await measure(target, () => target.call(), count);
    return { target: name, count, baseline, measured, addedBytesPerCall: measured.bytesPerCall - baseline.bytesPerCall };
  } finally {
    await target.close();
  }
}
