/**
 * `node dist/profile.js [--case=bulwark.decorated] [--seconds=5] [--condition=als-on] [--top=25]`
 *
 * Runs one case alone under `node --cpu-prof` and prints its top self-time functions, plus the
 * same time grouped by where the code lives. The raw profile stays in results/profiles/ for
 * Chrome DevTools. Use it before and after a hot-path change.
 *
 * `--case=http:/decorated` (or `http:/bare`) profiles the HTTP suite's Nest server instead, while
 * autocannon (10 connections) loads that endpoint for `--seconds`.
 */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SuiteChild, runSuite } from './lib/child-suite.js';
import { fixed, table } from './lib/format.js';
import type { ProfileTargetResult } from './suites/profile-target.suite.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number; readonly columnNumber: number };
}

interface CpuProfile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

function location(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.startsWith(REPO) ? path.slice(REPO.length) : path;
}

function area(url: string): string {
  const path = location(url);
  if (path.startsWith('node:')) return 'Node internals';
  if (path.startsWith('packages/core/')) return '@bulwark/core';
  if (path.startsWith('packages/nestjs/')) return '@bulwark/nestjs';
  if (path.startsWith('packages/benchmarks/')) return 'harness (loop + bare call)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return match === null ? path : match[1]!;
}

function parseFlags(argv: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const arg of argv) {
    const match = /^--([^=]+)=(.*)$/.exec(arg);
    if (match === null) throw new Error(`unexpected argument ${arg}`);
    flags[match[1]!] = match[2]!;
  }
  return flags;
}

/**
 * Self time per function and per code area, over the samples taken inside `[fromUs, toUs]` (the
 * measured loop; setup and warm-up excluded). Sample timestamps are the profile's start time plus
 * the running sum of `timeDeltas`, on the same monotonic clock as `process.hrtime`.
 */
export function summarizeProfile(
  profile: CpuProfile,
  top: number,
  fromUs: number,
  toUs: number,
): { totalMs: number; functions: string; areas: string } {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<string, number>();
  const areaUs = new Map<string, number>();
  let totalUs = 0;
  let timestamp = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    timestamp += profile.timeDeltas[i] ?? 0;
    if (timestamp < fromUs || timestamp > toUs) continue;
    const node = byNode.get(profile.samples[i]!)!;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') continue;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const key = `${frame.functionName || '(anonymous)'}\t${frame.url === '' ? '' : `${location(frame.url)}:${frame.lineNumber + 1}`}`;
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    const where = frame.url !== '' ? area(frame.url) : frame.functionName.startsWith('(') ? frame.functionName : 'V8 builtins / native';
    areaUs.set(where, (areaUs.get(where) ?? 0) + delta);
    totalUs += delta;
  }
  const percent = (us: number): string => `${fixed((100 * us) / totalUs, 1)}%`;
  const functions = table(
    ['self %', 'self ms', 'function', 'location'],
    [...selfUs.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([key, us]) => {
        const [name, where] = key.split('\t');
        return [percent(us), fixed(us / 1000, 1), `\`${name}\``, where ?? ''];
      }),
  );
  const areas = table(
    ['self %', 'self ms', 'where'],
    [...areaUs.entries()].sort((a, b) => b[1] - a[1]).map(([where, us]) => [percent(us), fixed(us / 1000, 1), where]),
  );
  return { totalMs: totalUs / 1000, functions, areas };
}

async function newestProfile(dir: string, since: number): Promise<string> {
  let newest: { path: string; mtime: number } | undefined;
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.cpuprofile')) continue;
    const path = `${dir}${name}`;
    const { mtimeMs } = await stat(path);
    if (mtimeMs >= since && (newest === undefined || mtimeMs > newest.mtime)) newest = { path, mtime: mtimeMs };
  }
  if (newest === undefined) throw new Error(`no .cpuprofile written to ${dir}`);
  return newest.path;
}

/**
 * Profiles the HTTP server child while autocannon loads one path. The load window is taken from
 * this process's monotonic clock, the same clock as the child's profile timestamps.
 */
async function profileHttp(path: string, seconds: number, nodeArgs: readonly string[]): Promise<ProfileTargetResult> {
  const server = SuiteChild.start('http-server', [], { gc: false, nodeArgs });
  try {
    const { port } = await server.ready<{ port: number }>();
    const url = `http://127.0.0.1:${port}${path}`;
    await autocannon({ url, connections: 10, duration: 2 }); // warm-up, outside the window
    const start = process.hrtime.bigint();
    const result = await autocannon({ url, connections: 10, duration: seconds, expectBody: '{"value":42}' });
    const end = process.hrtime.bigint();
    if (result.non2xx > 0 || result.errors > 0 || result.mismatches > 0) throw new Error(`${path}: failed responses under load`);
    const calls = result['2xx'];
    return { id: `http:${path}`, calls, nsPerCall: Number(end - start) / calls, windowStartUs: Number(start / 1000n), windowEndUs: Number(end / 1000n) };
  } finally {
    server.send({ type: 'stop' });
    await server.result;
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const id = flags.case ?? 'bulwark.decorated';
  const seconds = Number(flags.seconds ?? 5);
  const top = Number(flags.top ?? 25);
  const condition = flags.condition ?? 'als-on';
  const dir = fileURLToPath(new URL('../results/profiles/', import.meta.url));
  await mkdir(dir, { recursive: true });
  const since = Date.now() - 1;
  const profilerFlags = ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--cpu-prof-interval=100'];
  const result = id.startsWith('http:')
    ? await profileHttp(id.slice('http:'.length), seconds, profilerFlags)
    : await runSuite<ProfileTargetResult>('profile-target', [`--case=${id}`, `--seconds=${seconds}`, `--condition=${condition}`], {
        gc: false,
        nodeArgs: profilerFlags,
      });
  const path = await newestProfile(dir, since);
  const summary = summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, top, result.windowStartUs, result.windowEndUs);
  if (summary.totalMs === 0) throw new Error('no sample fell inside the measured window (profile clock mismatch?)');
  const markdown = [
    `### CPU profile: \`${id}\`${id.startsWith('http:') ? '' : ` (${condition})`}, ${seconds} s, ${result.calls.toLocaleString('en-US')} ${id.startsWith('http:') ? 'requests' : 'calls'}, ${Math.round(result.nsPerCall)} ns per ${id.startsWith('http:') ? 'request' : 'call'} under the profiler`,
    '',
    `Profile: \`${location(`file://${path}`)}\` (${fixed(summary.totalMs, 0)} ms of samples in the measured loop, 100 µs interval; setup and warm-up excluded; no forced GC).`,
    '',
    'Self time by function:',
    '',
    summary.functions,
    '',
    'Self time by where the code lives:',
    '',
    summary.areas,
    '',
  ].join('\n');
  process.stdout.write(markdown);
  await writeFile(fileURLToPath(new URL(`../results/profile-${id.replace(/[^\w.-]+/g, '_')}.md`, import.meta.url)), markdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`[profile] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
