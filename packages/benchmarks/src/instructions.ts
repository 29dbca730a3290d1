/**
 * `node dist/instructions.js [--core=<core dist>] [--histogram] [--calls=100000]`
 *
 * Machine instructions per call of the benchmark's full stack (fallback, retry, breaker, timeout,
 * AsyncLocalStorage on), counted by valgrind (cachegrind without cache simulation) in a
 * single-threaded Node, and the same for the bare call. Timings on a shared host move with its
 * load; instruction counts do not (two runs agree within ~1 %), so they tell whether a hot-path
 * change removed work even when `npm run ab` cannot see it through the noise. Each figure is the
 * difference between two runs that make `calls` more calls after the same warm-up, so start-up
 * and warm-up cancel out. Needs `valgrind` on the PATH; takes about a minute.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fullStack, loadCoreBuild } from './cases/bulwark.cases.js';
import { answer } from './lib/bench-case.js';

const WARMUP_CALLS = 30_000;
const BASE_CALLS = 20_000;

interface Args {
  core: string;
  histogram: boolean;
  calls: number;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { core: fileURLToPath(new URL('../../core/dist', import.meta.url)), histogram: false, calls: 100_000 };
  for (const arg of argv) {
    if (arg.startsWith('--core=')) args.core = resolve(arg.slice('--core='.length));
    else if (arg === '--histogram') args.histogram = true;
    else if (arg.startsWith('--calls=')) args.calls = Number(arg.slice('--calls='.length));
    else throw new Error(`unknown argument ${arg} (expected [--core=<core dist>] [--histogram] [--calls=N])`);
  }
  if (!Number.isInteger(args.calls) || args.calls < 10_000) throw new Error('--calls must be an integer >= 10000');
  return args;
}

/** The measured process: warm-up, then `calls` calls of the stack (or of the bare call). */
async function child(kind: 'stack' | 'bare', core: string, histogram: boolean, calls: number): Promise<void> {
  const stack = fullStack('instructions', await loadCoreBuild(core), histogram);
  // AsyncLocalStorage on for both, as in any application that made one timed call.
  await stack.execute(answer);
  const call = kind === 'stack' ? () => stack.execute(answer) : answer;
  for (let i = 0; i < WARMUP_CALLS + calls; i++) await call();
}

async function countInstructions(kind: 'stack' | 'bare', args: Args, calls: number): Promise<number> {
  const script = fileURLToPath(import.meta.url);
  const argv = ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', process.execPath, '--single-threaded', script];
  argv.push('--child', kind, args.core, String(args.histogram), String(calls));
  const { stderr } = await promisify(execFile)('valgrind', argv, { maxBuffer: 1 << 24 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw new Error('valgrind is not installed (apt-get install valgrind)');
    throw error;
  });
  const match = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (match === null) throw new Error(`no instruction count in valgrind's output:\n${stderr}`);
  return Number(match[1]!.replaceAll(',', ''));
}

async function perCall(kind: 'stack' | 'bare', args: Args): Promise<number> {
  const [base, more] = await Promise.all([countInstructions(kind, args, BASE_CALLS), countInstructions(kind, args, BASE_CALLS + args.calls)]);
  return (more - base) / args.calls;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await child(argv[1] as 'stack' | 'bare', argv[2]!, argv[3] === 'true', Number(argv[4]));
    return;
  }
  const args = parseArgs(argv);
  const bare = await perCall('bare', args);
  const stack = await perCall('stack', args);
  console.log(`core ${args.core}${args.histogram ? ', breaker keeping the duration histogram' : ''}, ${args.calls} calls`);
  console.log(`  bare call:  ${Math.round(bare)} instructions`);
  console.log(`  full stack: ${Math.round(stack)} instructions (${Math.round(stack - bare)} over the bare call)`);
}

await main();
