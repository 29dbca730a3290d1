/**
 * One isolate of the per-call suite, in one condition (see `Condition`). Node 20 and 22 cannot
 * switch promise hooks back off cleanly, and a module once loaded stays loaded, so each condition
 * needs its own isolate; running them in one process lets the parent alternate them round by round.
 *
 * Nothing here imports a library under test statically (a spec checks the import graph): the
 * `no-bulwark` isolates must never load one.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildCases, isBareOnly, librariesLoaded, type CaseSet, type Condition } from '../cases/all.cases.js';
import { countAsyncLocalStorageEntries } from '../lib/als-guard.js';
import { TimedCase, runStep, type PairSample, type TimingOptions } from '../lib/timing.js';
import { growYoungGeneration, youngGenerationMiB } from '../lib/young-generation.js';

export type { Condition };

export interface CallsWorkerData {
  readonly condition: Condition;
  readonly timing: TimingOptions;
  readonly bareBatch: number;
}

/** `step`: one case next to a bare batch (see `runStep`); `bare`: one bare batch alone (ns per call). */
export type WorkerRequest =
  | { readonly cmd: 'setup' }
  | { readonly cmd: 'step'; readonly round: number; readonly step: number }
  | { readonly cmd: 'bare' }
  | { readonly cmd: 'close' };

export interface WorkerSetup {
  readonly condition: Condition;
  readonly bareBatch: number;
  readonly batches: Record<string, number>;
}

/** What an isolate reports when it closes. */
export interface WorkerClose {
  /** Its young generation at the end of the run (MiB): equal in every isolate, or the bare calls are not comparable. */
  readonly youngGenerationMiB: number;
}

const { condition, timing, bareBatch } = workerData as CallsWorkerData;
const port = parentPort!;
// Before anything is loaded: every AsyncLocalStorage entry of a library is counted.
const scopesEntered = condition === 'als-on' ? undefined : countAsyncLocalStorageEntries();

let set: CaseSet | undefined;
let bare: TimedCase | undefined;
let timed: TimedCase[] = [];

/** The isolate is still in its condition; anything else would skew every figure it reports. */
function checkCondition(): void {
  const entered = scopesEntered?.() ?? 0;
  if (entered > 0) throw new Error(`${condition}: an AsyncLocalStorage scope was entered ${entered} time(s); this isolate must never turn the storage on`);
  if (isBareOnly(condition) && librariesLoaded()) throw new Error(`${condition}: a library under test was loaded`);
}

async function setup(): Promise<WorkerSetup> {
  growYoungGeneration();
  set = await buildCases(condition);
  bare = new TimedCase(set.bare);
  await bare.calibrate(timing, bareBatch);
  timed = set.cases.map((bench) => new TimedCase(bench));
  for (const one of timed) await one.calibrate(timing);
  checkCondition();
  return { condition, bareBatch: bare.batch, batches: Object.fromEntries(timed.map((one) => [one.bench.id, one.batch])) };
}

async function step(round: number, index: number): Promise<PairSample> {
  const sample = await runStep(bare!, timed, round, index);
  checkCondition();
  return sample;
}

async function loneBare(): Promise<number> {
  const ns = await bare!.time();
  checkCondition();
  return ns;
}

async function handle(request: WorkerRequest): Promise<unknown> {
  switch (request.cmd) {
    case 'setup':
      return setup();
    case 'step':
      return step(request.round, request.step);
    case 'bare':
      return loneBare();
    case 'close': {
      const close: WorkerClose = { youngGenerationMiB: youngGenerationMiB() };
      await set?.close();
      return close;
    }
  }
}

port.on('message', (request: WorkerRequest) => {
  handle(request).then(
    (data) => port.postMessage({ ok: true, data }),
    (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
