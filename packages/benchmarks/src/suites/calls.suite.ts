import { Worker } from 'node:worker_threads';
import { CONDITIONS } from '../cases/all.cases.js';
import { callsRoundSchedule } from '../lib/run-order.js';
import { numberParam, type SuiteParams } from '../lib/suite-protocol.js';
import type { PairSample, TimingOptions } from '../lib/timing.js';
import type { CallsWorkerData, Condition, WorkerClose, WorkerRequest, WorkerSetup } from './calls.worker.js';

export interface CaseSeries {
  readonly id: string;
  readonly batch: number;
  /** ns per call, one entry per round. */
  readonly ns: number[];
  /** ns per bare call timed next to it, same rounds. */
  readonly bareNs: number[];
}

export interface ConditionResult {
  readonly condition: Condition;
  readonly bareBatch: number;
  readonly cases: CaseSeries[];
  /** Per round, every bare batch the isolate timed (ns per call): next to each case, or alone. */
  readonly bareRounds: number[][];
  /** The isolate's young generation at the end of the run (MiB). */
  readonly youngGenerationMiB: number;
}

export interface CallsResult {
  /** The Node that ran the suite (`process.version`) and its V8. */
  readonly node: string;
  readonly v8: string;
  readonly rounds: number;
  readonly timing: TimingOptions;
  readonly conditions: ConditionResult[];
}

/** Request/response over a worker's port; a worker error or exit fails the pending request. */
class WorkerChannel {
  private pending: { resolve: (data: unknown) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (reply: { ok: boolean; data?: unknown; error?: string }) => {
      const pending = this.pending;
      this.pending = undefined;
      if (reply.ok) pending?.resolve(reply.data);
      else pending?.reject(new Error(reply.error));
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`worker exited with code ${code}`)));
  }

  request<T>(message: WorkerRequest): Promise<T> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      this.pending = { resolve: resolve as (data: unknown) => void, reject };
      this.worker.postMessage(message);
    });
  }

  async terminate(): Promise<void> {
    this.failure ??= new Error('terminated');
    await this.worker.terminate();
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }
}

/**
 * Per-call cost of every case, in three isolates of one process (see `Condition`) driven step by
 * step by the parent (see `callsRoundSchedule`). Within an isolate each case is timed right next to
 * a bare batch; the `no-bulwark` isolates each time one bare batch right next to each step of
 * `als-off`.
 */
export async function run(params: SuiteParams): Promise<CallsResult> {
  const quick = params.quick;
  const rounds = numberParam(params, 'rounds', quick ? 5 : 21);
  const timing: TimingOptions = {
    warmupMs: numberParam(params, 'warmup-ms', quick ? 60 : 250),
    batchTargetMs: numberParam(params, 'batch-ms', quick ? 12 : 30),
    minCalls: 1_000,
    maxCalls: 200_000,
  };
  const bareBatch = numberParam(params, 'bare-calls', 100_000);
  const conditions = [...CONDITIONS];
  const channels = new Map(
    conditions.map((condition) => {
      const workerData: CallsWorkerData = { condition, timing, bareBatch };
      return [condition, new WorkerChannel(new Worker(new URL('./calls.worker.js', import.meta.url), { workerData }))] as const;
    }),
  );
  try {
    const results = new Map<Condition, Omit<ConditionResult, 'youngGenerationMiB'>>();
    for (const condition of conditions) {
      process.stderr.write(`  calls (Node ${process.version}): warming up ${condition}\n`);
      const setup = await channels.get(condition)!.request<WorkerSetup>({ cmd: 'setup' });
      results.set(condition, {
        condition,
        bareBatch: setup.bareBatch,
        cases: Object.entries(setup.batches).map(([id, batch]) => ({ id, batch, ns: [], bareNs: [] })),
        bareRounds: [],
      });
    }
    const casesOf = (condition: Condition): number => results.get(condition)!.cases.length;
    process.stderr.write(`  calls: ${rounds} rounds `);
    for (let round = 0; round < rounds; round++) {
      for (const result of results.values()) result.bareRounds.push([]);
      for (const request of callsRoundSchedule(round, casesOf('als-on'), casesOf('als-off'))) {
        const result = results.get(request.condition)!;
        const channel = channels.get(request.condition)!;
        if (!('step' in request)) {
          result.bareRounds[round]!.push(await channel.request<number>({ cmd: 'bare' }));
          continue;
        }
        const pair = await channel.request<PairSample>({ cmd: 'step', round, step: request.step });
        const series = result.cases.find((one) => one.id === pair.id)!;
        series.ns.push(pair.ns);
        series.bareNs.push(pair.bareNs);
        result.bareRounds[round]!.push(pair.bareNs);
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    const conditionResults: ConditionResult[] = [];
    for (const [condition, channel] of channels) {
      const { youngGenerationMiB } = await channel.request<WorkerClose>({ cmd: 'close' });
      conditionResults.push({ ...results.get(condition)!, youngGenerationMiB });
    }
    return { node: process.version, v8: process.versions.v8, rounds, timing, conditions: conditionResults };
  } finally {
    for (const channel of channels.values()) await channel.terminate();
  }
}
