/**
 * `npm run bench` (root: builds first). Runs every suite, each in its own Node process, prints the
 * markdown tables on stdout (progress goes to stderr) and writes results/latest.json and
 * results/latest.md (results/quick.* with `--quick`). Any failing suite, wrong value or thrown
 * case exits non-zero.
 *
 * The per-call suite runs once per Node version (20, 22, 24 and the machine's own; binaries other
 * than the running one come from the npm registry's `node` package through npx): a compact table
 * compares them, and the machine's own Node gets the full per-call tables. Every other suite runs
 * on the machine's own Node.
 *
 * The overload suite (`overload`, ~5 minutes: see overload.ts) also rewrites the "Surviving overload"
 * section of README.md and overload-goodput.svg on a full run.
 *
 * Flags: `--quick` or BENCH_QUICK=1 (few rounds, short windows: a smoke run),
 * `--suites=calls,hygiene,memory,idle,http,http-client,overload`, `--skip=overload` (or
 * BENCH_SKIP=overload: every suite but those), `--nodes=20,24` (or BENCH_NODES=20,24: the Node
 * majors of the per-call suite). From the root: `BENCH_QUICK=1 npm run bench`, or
 * `npm run bench -w @bulwark/benchmarks -- --quick --nodes=24` after `npm run build`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { analyzeCalls, type CallsAnalysis } from './lib/analysis.js';
import { runSuite } from './lib/child-suite.js';
import { runHttp } from './lib/http-bench.js';
import type { HttpResult } from './lib/http-summary.js';
import { machineInfo } from './lib/machine.js';
import { majorOf, nodesToRun, parseNodeMajors, resolveNodeBinary, type NodeBinary } from './lib/node-binaries.js';
import { nodeRunsJson, type NodeRun } from './lib/node-summary.js';
import { runOverload } from './lib/overload-bench.js';
import { publishOverload } from './lib/overload-readme.js';
import type { OverloadResult } from './lib/overload-summary.js';
import { renderReport } from './lib/report.js';
import { evaluateTargets, summarizeIdle, type IdleSummary } from './lib/targets.js';
import type { CallsResult } from './suites/calls.suite.js';
import type { HttpClientResult } from './suites/http-client.suite.js';
import type { HygieneResult } from './suites/hygiene.suite.js';
import type { IdleCpuResult } from './suites/idle-cpu.suite.js';
import type { BreakerMemoryResult } from './suites/memory-breakers.suite.js';
import type { InflightResult } from './suites/memory-inflight.suite.js';

const ALL_SUITES = ['calls', 'hygiene', 'memory', 'idle', 'http', 'http-client', 'overload'] as const;
type SuiteName = (typeof ALL_SUITES)[number];

interface Args {
  readonly quick: boolean;
  readonly suites: Set<SuiteName>;
  /** `--nodes`: the Node majors of the per-call suite; unset: the supported ones and the machine's own. */
  readonly nodes: number[] | undefined;
}

function suiteNames(list: string): SuiteName[] {
  const names = list.split(',');
  for (const name of names) {
    if (!(ALL_SUITES as readonly string[]).includes(name)) throw new Error(`unknown suite ${name}; one of ${ALL_SUITES.join(', ')}`);
  }
  return names as SuiteName[];
}

function parseArgs(argv: readonly string[]): Args {
  // BENCH_QUICK=1, BENCH_SKIP and BENCH_NODES too: root `npm run bench` would take the flags as npm's.
  let quick = process.env.BENCH_QUICK === '1';
  let suites = new Set<SuiteName>(ALL_SUITES);
  let skipped = process.env.BENCH_SKIP ? suiteNames(process.env.BENCH_SKIP) : [];
  let nodes = process.env.BENCH_NODES ? parseNodeMajors(process.env.BENCH_NODES) : undefined;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg.startsWith('--nodes=')) nodes = parseNodeMajors(arg.slice('--nodes='.length));
    else if (arg.startsWith('--suites=')) suites = new Set(suiteNames(arg.slice('--suites='.length)));
    else if (arg.startsWith('--skip=')) skipped = suiteNames(arg.slice('--skip='.length));
    else throw new Error(`unknown argument ${arg} (expected --quick, --suites=..., --skip=... or --nodes=...)`);
  }
  for (const name of skipped) suites.delete(name);
  return { quick, suites, nodes };
}

function step(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { quick, suites, nodes } = parseArgs(args);
  const quickArgs = quick ? ['--quick'] : [];
  const machine = machineInfo();
  const started = process.hrtime.bigint();

  let calls: { result: CallsResult; analysis: CallsAnalysis } | undefined;
  let nodeRuns: NodeRun[] | undefined;
  let hygiene: HygieneResult | undefined;
  let breakers: BreakerMemoryResult[] | undefined;
  let inflight: InflightResult[] | undefined;
  let idleRuns: IdleCpuResult[] | undefined;
  let idle: IdleSummary[] | undefined;
  let http: HttpResult | undefined;
  let httpClient: HttpClientResult | undefined;
  let overload: OverloadResult | undefined;

  if (suites.has('hygiene')) {
    step('hygiene: timers, AbortControllers, AsyncLocalStorage entries per call; stacks per rejection');
    hygiene = await runSuite<HygieneResult>('hygiene', quickArgs);
  }
  if (suites.has('calls')) {
    const ownMajor = majorOf(process.version);
    const majors = nodesToRun(nodes, ownMajor);
    step(`calls: resolving Node ${majors.join(', ')}`);
    // All binaries first: a download never overlaps a measurement.
    const binaries: NodeBinary[] = [];
    for (const major of majors) binaries.push(await resolveNodeBinary(major));
    nodeRuns = [];
    const measured = new Map<number, { result: CallsResult; analysis: CallsAnalysis }>();
    for (const binary of binaries) {
      if ('unavailable' in binary) {
        step(`calls: Node ${binary.major} n/a (${binary.unavailable})`);
        nodeRuns.push(binary);
        continue;
      }
      step(`calls: per-call cost on Node ${binary.version}, every case, three isolates (no Bulwark, AsyncLocalStorage off, on)`);
      const result = await runSuite<CallsResult>('calls', quickArgs, { gc: false, timeoutMs: 600_000, nodeBinary: binary.path });
      const analysis = analyzeCalls(result);
      measured.set(binary.major, { result, analysis });
      nodeRuns.push({ major: binary.major, binary: binary.path, calls: analysis });
    }
    // The full per-call tables: the machine's own Node, else the first Node that ran.
    calls = measured.get(ownMajor) ?? measured.values().next().value;
  }
  if (suites.has('memory')) {
    breakers = [];
    for (const lib of ['bulwark', 'cockatiel', 'opossum']) {
      step(`memory: 10,000 ${lib} breakers`);
      breakers.push(await runSuite<BreakerMemoryResult>('memory-breakers', [`--lib=${lib}`, '--count=10000']));
    }
    inflight = [];
    for (const count of quick ? [10_000] : [10_000, 100_000]) {
      for (const target of ['bulwark-timeout', 'decorated', 'cockatiel-timeout']) {
        step(`memory: ${count} in-flight calls through ${target}`);
        inflight.push(await runSuite<InflightResult>('memory-inflight', [`--target=${target}`, `--count=${count}`]));
      }
    }
  }
  if (suites.has('idle')) {
    idleRuns = [];
    const windowMs = quick ? 500 : 2_000;
    const modes = quick ? ['empty', 'bulwark', 'opossum'] : ['empty', 'bulwark', 'empty', 'bulwark', 'empty', 'bulwark', 'opossum'];
    for (const mode of modes) {
      step(`idle: ${mode === 'empty' ? 'empty process' : `10,000 ${mode} breakers`}, ${windowMs} ms`);
      idleRuns.push(await runSuite<IdleCpuResult>('idle-cpu', [`--mode=${mode}`, '--count=10000', `--ms=${windowMs}`], { gc: true }));
    }
    idle = summarizeIdle(idleRuns);
  }
  if (suites.has('http')) {
    step('http: autocannon against one Nest Express app, bare vs decorated (metrics off and on)');
    http = await runHttp(quick);
  }
  if (suites.has('http-client')) {
    step('http-client: one GET to a local server through fetch, resilientFetch and cockatiel-wrapped fetch');
    httpClient = await runSuite<HttpClientResult>('http-client', quickArgs, { gc: false });
  }
  if (suites.has('overload')) {
    step('overload: the storefront at 0.5x-3x its downstream capacity, no limit vs static vs adaptive bulkhead');
    overload = await runOverload(quick);
    if (!quick) await publishOverload(overload, machine);
  }

  const machineAfter = { ...machine, loadAverageAtEnd: Math.round(os.loadavg()[0]! * 100) / 100 };
  const analysis = calls?.analysis;
  const targets = [...evaluateTargets({ calls: analysis, hygiene, inflight, idle, http }), ...(overload?.targets ?? [])];
  const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const flags = [
    ...(quick ? ['--quick'] : []),
    ...(suites.size < ALL_SUITES.length ? [`--suites=${[...suites].join(',')}`] : []),
    ...(nodes === undefined ? [] : [`--nodes=${nodes.join(',')}`]),
  ];
  const command = `npm run bench${flags.length > 0 ? ` -w @bulwark/benchmarks -- ${flags.join(' ')}` : ''}`;
  const markdown = renderReport({ machine: machineAfter, command, quick, durationSeconds, calls: analysis, nodes: nodeRuns, hygiene, breakers, inflight, idle, http, httpClient, overload, targets });
  process.stdout.write(`${markdown}\n`);

  const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  const base = quick ? 'quick' : 'latest';
  const json = {
    machine: machineAfter,
    command,
    quick,
    durationSeconds,
    targets,
    nodes: nodeRuns === undefined ? undefined : nodeRunsJson(nodeRuns, analysis),
    calls:
      calls === undefined
        ? undefined
        : {
            node: calls.analysis.node,
            v8: calls.analysis.v8,
            rounds: calls.analysis.rounds,
            timing: calls.result.timing,
            bare: calls.analysis.bare,
            appTax: calls.analysis.appTax,
            alsOnTax: calls.analysis.alsOnTax,
            decoratedAllIn: calls.analysis.decoratedAllIn,
            youngGenerationMiB: calls.analysis.youngGenerationMiB,
            rows: calls.analysis.rows,
          },
    hygiene,
    memory: { breakers, inflight },
    idle: idle === undefined ? undefined : { summary: idle, runs: idleRuns },
    http,
    httpClient,
    overload,
  };
  await writeFile(`${resultsDir}${base}.json`, `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(`${resultsDir}${base}.md`, markdown);
  step(`wrote results/${base}.json and results/${base}.md in ${durationSeconds.toFixed(0)} s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
