import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { OverloadAppProbe, OverloadAppReady } from '../suites/overload-app.suite.js';
import { SuiteChild } from './child-suite.js';
import { offerOpenLoad } from './open-loop.js';
import { bestStatic, evaluateOverloadTargets, pointAt, summarizeWindow, variantLabel, type OverloadPoint, type OverloadResult } from './overload-summary.js';
import { OVERLOAD_VARIANTS, type OverloadVariant } from './overload-variant.js';
import { DOWNSTREAM_POOL, poolCapacity } from './worker-pool.js';

export const OVERLOAD_LOADS: readonly number[] = [0.5, 1, 1.5, 2, 2.5, 3];
const SWEEP: readonly number[] = [4, 8, 12, 16, 24, 32];
const SWEEP_LOAD = 2;
const SLO_MS = 1_000;
/** The client gives up after twice the SLO: late answers are counted (as 2xx outside the SLO), without the generator holding thousands of sockets for ever. */
const CLIENT_TIMEOUT_MS = 2 * SLO_MS;

interface Timing {
  readonly warmupMs: number;
  readonly measureMs: number;
}

function log(message: string): void {
  process.stderr.write(`[overload] ${message}\n`);
}

/** The downstream in its own process; resolves with its URL and a way to stop it. */
async function startDownstream(): Promise<{ url: string; stop(): void }> {
  const child = fork(fileURLToPath(new URL('./overload-downstream.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port: number }) => resolve(message.port));
    child.once('exit', (code) => reject(new Error(`the downstream exited (${code}) before it listened`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/**
 * A few requests, 4 at a time (within the smallest bulkhead), so the app's code is compiled before
 * the clock starts; every one must be 200.
 */
async function warmApp(url: string): Promise<void> {
  for (let batch = 0; batch < 12; batch++) {
    await Promise.all(
      Array.from({ length: 4 }, async (_, index) => {
        const response = await fetch(`${url}/products/warm-${index}`);
        const body = (await response.json()) as { price?: { amount?: number } };
        if (response.status !== 200 || body.price?.amount !== 1999) throw new Error(`storefront answered ${response.status} ${JSON.stringify(body)}`);
      }),
    );
  }
}

/**
 * The kernel's count of connections dropped because a listening socket's accept queue was full
 * (Linux; `undefined` elsewhere). Machine-wide, so other work counts too: a harness check, not a figure.
 */
function listenOverflows(): number | undefined {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((line) => line.startsWith('TcpExt:'));
    const index = lines[0]!.split(/\s+/).indexOf('ListenOverflows');
    return index === -1 ? undefined : Number(lines[1]!.split(/\s+/)[index]);
  } catch {
    return undefined;
  }
}

/** One variant at one offered load, each side in a fresh process. */
export async function measurePoint(variant: OverloadVariant, load: number, timing: Timing, maxConcurrent?: number): Promise<OverloadPoint> {
  const capacity = poolCapacity(DOWNSTREAM_POOL);
  const offeredRps = Math.round(load * capacity);
  const downstream = await startDownstream();
  const args = [`--variant=${variant}`, `--downstream=${downstream.url}`, ...(maxConcurrent === undefined ? [] : [`--max-concurrent=${maxConcurrent}`])];
  const app = SuiteChild.start('overload-app', args, { gc: false, timeoutMs: 120_000 });
  try {
    const { port } = await app.ready<OverloadAppReady>();
    const url = `http://127.0.0.1:${port}`;
    await warmApp(url);
    const before = await app.probe<OverloadAppProbe>();
    const overflowsBefore = listenOverflows();
    const requests = await offerOpenLoad({
      url: (index) => `${url}/products/sku-${index % 100}`,
      rate: offeredRps,
      durationMs: timing.warmupMs + timing.measureMs,
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    const after = await app.probe<OverloadAppProbe>();
    const overflowsAfter = listenOverflows();
    const figures = summarizeWindow(requests, timing.warmupMs, timing.warmupMs + timing.measureMs, SLO_MS);
    const point: OverloadPoint = {
      variant,
      ...(maxConcurrent === undefined ? {} : { maxConcurrent }),
      load,
      offeredRps,
      ...figures,
      ...(after.limit === undefined ? {} : { limitAtEnd: after.limit }),
      appCpuUsPerRequest: (after.cpuUs - before.cpuUs) / requests.status.length,
      sendLagP99Ms: requests.sendLagP99Ms,
      ...(overflowsBefore === undefined || overflowsAfter === undefined ? {} : { listenOverflows: overflowsAfter - overflowsBefore }),
    };
    log(
      `  ${load}x ${variantLabel(point)}: goodput ${Math.round(point.goodputRps)} req/s, 2xx p50 ${point.p50Ms.toFixed(1)} p99 ${point.p99Ms.toFixed(1)} ms, ` +
        `503 ${point.rejected}, timeouts ${point.timeouts}, other ${point.otherNon2xx + point.connectionErrors}` +
        `${point.limitAtEnd === undefined ? '' : `, limit ${point.limitAtEnd}`}, send lag p99 ${point.sendLagP99Ms.toFixed(1)} ms, ` +
        `storefront CPU ${Math.round((point.appCpuUsPerRequest * offeredRps) / 1e4)} %` +
        `${point.listenOverflows ? `, ${point.listenOverflows} SYNs dropped on full accept queues (machine-wide)` : ''}`,
    );
    return point;
  } finally {
    app.send({ type: 'stop' });
    await app.result.catch(() => undefined);
    downstream.stop();
  }
}

/**
 * The overload benchmark: the storefront with no limit, with static bulkheads (a sweep of
 * `maxConcurrent` at 2x, then the best at every load) and with the adaptive bulkhead untuned, each
 * offered 0.5x to 3x the downstream's capacity by an open-loop generator.
 */
export async function runOverload(quick: boolean): Promise<OverloadResult> {
  const started = process.hrtime.bigint();
  const timing: Timing = quick ? { warmupMs: 1_000, measureMs: 3_000 } : { warmupMs: 2_000, measureMs: 8_000 };
  const loads = quick ? [0.5, 2, 3] : OVERLOAD_LOADS;
  const sweepValues = quick ? [8, 16, 32] : SWEEP;
  const capacityRps = poolCapacity(DOWNSTREAM_POOL);
  log(`downstream: ${DOWNSTREAM_POOL.workers} workers x ${DOWNSTREAM_POOL.serviceMs} ms = ${capacityRps} req/s; ${timing.warmupMs / 1_000} s warm-up + ${timing.measureMs / 1_000} s per point`);
  log(`static sweep at ${SWEEP_LOAD}x: maxConcurrent ${sweepValues.join(', ')}`);
  const sweep: OverloadPoint[] = [];
  for (const maxConcurrent of sweepValues) sweep.push(await measurePoint('static', SWEEP_LOAD, timing, maxConcurrent));
  const best = bestStatic(sweep).maxConcurrent!;
  log(`best static: maxConcurrent ${best}; every variant at ${loads.join(', ')}x`);
  const points: OverloadPoint[] = [];
  for (const [round, load] of loads.entries()) {
    // Variants take turns at each load, in a rotated order, so drift in the machine's load hits each alike.
    const order = OVERLOAD_VARIANTS.map((_, index) => OVERLOAD_VARIANTS[(index + round) % OVERLOAD_VARIANTS.length]!);
    for (const variant of order) points.push(await measurePoint(variant, load, timing, variant === 'static' ? best : undefined));
  }
  const unloadedP99Ms = pointAt(points, 'no-limit', loads[0]!)?.p99Ms ?? Number.NaN;
  return {
    node: process.version,
    cores: os.availableParallelism(),
    quick,
    pool: DOWNSTREAM_POOL,
    capacityRps,
    sloMs: SLO_MS,
    clientTimeoutMs: CLIENT_TIMEOUT_MS,
    ...timing,
    loads,
    sweepLoad: SWEEP_LOAD,
    sweep,
    bestMaxConcurrent: best,
    points,
    unloadedP99Ms,
    targets: evaluateOverloadTargets(points, SWEEP_LOAD, unloadedP99Ms),
    durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
