import { Worker } from 'node:worker_threads';
import { numberParam, type SuiteParams } from '../lib/suite-protocol.js';
import type { PairSample, TimingOptions } from '../lib/timing.js';
import type { CallsWorkerData, Condition, WorkerRequest } from './calls.worker.js';

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
}

export interface CallsResult {
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
 * Per-call cost of every case, in two isolates (AsyncLocalStorage off / on) of one process that
 * take turns round by round. Within an isolate each case is timed right next to a bare batch.
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
  const conditions: Condition[] = ['als-off', 'als-on'];
  const channels = conditions.map((condition) => {
    const workerData: CallsWorkerData = { condition, timing, bareBatch };
    return new WorkerChannel(new Worker(new URL('./calls.worker.js', import.meta.url), { workerData }));
  });
  try {
    const setups: { bareBatch: number; batches: Record<string, number> }[] = [];
    for (const [index, channel] of channels.entries()) {
      process.stderr.write(`  calls: warming up ${conditions[index]}\n`);
      setups.push(await channel.request({ cmd: 'setup' }));
    }
    const results: ConditionResult[] = conditions.map((condition, index) => ({
      condition,
      bareBatch: setups[index]!.bareBatch,
      cases: Object.entries(setups[index]!.batches).map(([id, batch]) => ({ id, batch, ns: [], bareNs: [] })),
    }));
    process.stderr.write(`  calls: ${rounds} rounds `);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? [0, 1] : [1, 0];
      for (const index of order) {
        const samples = await channels[index]!.request<PairSample[]>({ cmd: 'round', round });
        for (const sample of samples) {
          const series = results[index]!.cases.find((one) => one.id === sample.id)!;
          series.ns.push(sample.ns);
          series.bareNs.push(sample.bareNs);
        }
      }
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    for (const channel of channels) await channel.request({ cmd: 'close' });
    return { rounds, timing, conditions: results };
  } finally {
    for (const channel of channels) await channel.terminate();
  }
}
