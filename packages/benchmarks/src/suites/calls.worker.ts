/**
 * One isolate of the per-call suite, in one AsyncLocalStorage condition (see `Condition`). Node 20
 * cannot switch promise hooks back off cleanly, so the two conditions need two isolates; running
 * both in one process lets the parent alternate them round by round.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildCases, type CaseSet, type Condition } from '../cases/all.cases.js';
import { TimedCase, runRound, type TimingOptions } from '../lib/timing.js';

export type { Condition };

export interface CallsWorkerData {
  readonly condition: Condition;
  readonly timing: TimingOptions;
  readonly bareBatch: number;
}

export type WorkerRequest = { readonly cmd: 'setup' } | { readonly cmd: 'round'; readonly round: number } | { readonly cmd: 'close' };

const { condition, timing, bareBatch } = workerData as CallsWorkerData;
const port = parentPort!;

let set: CaseSet | undefined;
let bare: TimedCase | undefined;
let timed: TimedCase[] = [];

async function setup(): Promise<unknown> {
  set = await buildCases(condition);
  bare = new TimedCase(set.bare);
  await bare.calibrate(timing, bareBatch);
  timed = set.cases.map((bench) => new TimedCase(bench));
  for (const one of timed) await one.calibrate(timing);
  return { condition, bareBatch: bare.batch, batches: Object.fromEntries(timed.map((one) => [one.bench.id, one.batch])) };
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'setup':
      return setup();
    case 'round':
      return runRound(bare!, timed, request.round);
    case 'close':
      await set?.close();
      return null;
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (data) => port.postMessage({ ok: true, data }),
    (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
