/**
 * Two builds of `@bulwark/core` side by side in one process: is B cheaper than A per call?
 *
 * `node dist/ab-core.js --a=../../node_modules/.cache/core-before --b=../core/dist [--rounds=101] [--histogram]`
 *
 * On a machine shared with other workloads, two runs of the full benchmark minutes apart differ by
 * more than most hot-path changes are worth. Here both builds run the full stack (fallback, retry,
 * breaker, timeout) in the same process, batch after batch in alternating order, each round next to
 * a bare batch, and the figure is the round-by-round difference B - A: drift hits both alike. Both
 * builds first run every kind of Bulwark call (lone policies, the RxJS operator), so neither is
 * measured with the unrealistically monomorphic code of a process that only ever made one call.
 * By default it runs twice, in two processes, A loaded first and then B (see `bothOrders`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { bulwarkScopedCases, bulwarkUnscopedCases, fullStack, loadCoreBuild, type CoreBuild } from './cases/bulwark.cases.js';
import { answer } from './lib/bench-case.js';
import { summarize } from './lib/stats.js';

interface Args {
  a: string;
  b: string;
  rounds: number;
  histogram: boolean;
  /** Which build this process loads and warms first; unset: run one process each way and average. */
  first: 'a' | 'b' | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> = { rounds: 101, histogram: false, first: undefined };
  for (const arg of argv) {
    if (arg.startsWith('--a=')) args.a = arg.slice(4);
    else if (arg.startsWith('--b=')) args.b = arg.slice(4);
    else if (arg.startsWith('--rounds=')) args.rounds = Number(arg.slice('--rounds='.length));
    else if (arg === '--histogram') args.histogram = true;
    else if (arg === '--first=a' || arg === '--first=b') args.first = arg.endsWith('a') ? 'a' : 'b';
    else throw new Error(`unknown argument ${arg} (expected --a=<core dist> --b=<core dist> [--rounds=N] [--histogram] [--first=a|b])`);
  }
  if (args.a === undefined || args.b === undefined) throw new Error('--a and --b name two built @bulwark/core dist directories');
  if (!Number.isInteger(args.rounds) || args.rounds! < 15) throw new Error('--rounds must be an integer >= 15');
  return args as Args;
}

/** Every kind of call the per-call suite makes, so the build's code is as polymorphic as in an application. */
async function exercise(core: CoreBuild): Promise<void> {
  const cases = [...bulwarkScopedCases(core), ...bulwarkUnscopedCases(core)];
  for (let i = 0; i < 20_000; i++) {
    for (const bench of cases) {
      if ((await bench.call()) !== bench.expected) throw new Error(`${bench.id}: wrong result while warming up`);
    }
  }
}

type Loop = (call: () => Promise<number>, n: number) => Promise<void>;

/** A fresh loop per case (as the per-call suite does), so no case makes another's loop polymorphic. */
function compileLoop(): Loop {
  return new Function('call', 'n', 'return (async () => { for (let i = 0; i < n; i++) { if (await call() !== 42) throw new Error("wrong result"); } })()') as Loop;
}

/**
 * Under load the build loaded and warmed second has measured faster by itself (an A/A run: down to
 * -45 ns on average), so by default both orders run, each in a process of its own, and the figure is
 * the mean of the two medians.
 */
async function bothOrders(argv: readonly string[]): Promise<void> {
  const medians: number[] = [];
  for (const first of ['a', 'b'] as const) {
    const output = await new Promise<string>((done, fail) => {
      const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...argv, `--first=${first}`], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? done(text) : fail(new Error(`ab --first=${first} exited with ${code}`))));
    });
    process.stdout.write(`${first === 'a' ? 'A' : 'B'} loaded and warmed first: ${output}`);
    const median = /B - A, round by round: (-?\d+) ns/.exec(output)?.[1];
    if (median === undefined) throw new Error(`no B - A figure in the output of --first=${first}`);
    medians.push(Number(median));
  }
  process.stdout.write(`B - A, mean of both load orders: ${Math.round((medians[0]! + medians[1]!) / 2)} ns\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  if (args.first === undefined) return bothOrders(argv);
  const loadOrder = args.first === 'a' ? (['a', 'b'] as const) : (['b', 'a'] as const);
  const builds = {} as Record<'a' | 'b', CoreBuild>;
  for (const id of loadOrder) builds[id] = await loadCoreBuild(args[id]);
  const stacks = { a: fullStack('a', builds.a, args.histogram), b: fullStack('b', builds.b, args.histogram) };
  for (const id of loadOrder) await exercise(builds[id]);
  const cases: Record<'bare' | 'a' | 'b', { loop: Loop; call: () => Promise<number> }> = {
    bare: { loop: compileLoop(), call: answer },
    a: { loop: compileLoop(), call: () => stacks.a.execute(answer) },
    b: { loop: compileLoop(), call: () => stacks.b.execute(answer) },
  };
  const batch = 20_000;
  const time = async (id: keyof typeof cases): Promise<number> => {
    const { loop, call } = cases[id];
    const start = process.hrtime.bigint();
    await loop(call, batch);
    return Number(process.hrtime.bigint() - start) / batch;
  };
  for (const id of ['bare', 'a', 'b'] as const) for (let i = 0; i < 10; i++) await time(id);

  const overheadA: number[] = [];
  const overheadB: number[] = [];
  for (let round = 0; round < args.rounds; round++) {
    const first = await time('bare');
    const order = round % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const);
    const ns = { a: 0, b: 0 };
    for (const id of order) ns[id] = await time(id);
    const bare = (first + (await time('bare'))) / 2;
    overheadA.push(ns.a - bare);
    overheadB.push(ns.b - bare);
    if (round % 10 === 0) process.stderr.write('.');
  }
  process.stderr.write('\n');
  const range = (values: number[]): string => {
    const s = summarize(values);
    return `${Math.round(s.median)} ns [${Math.round(s.p25)}–${Math.round(s.p75)}]`;
  };
  const difference = overheadB.map((b, i) => b - overheadA[i]!);
  process.stdout.write(
    `composePolicies(fallback, retry, breaker, timeout)${args.histogram ? ' with the duration histogram' : ''}, ${args.rounds} rounds of ${batch} calls:\n` +
      `  A ${args.a}: overhead ${range(overheadA)}\n` +
      `  B ${args.b}: overhead ${range(overheadB)}\n` +
      `  B - A, round by round: ${range(difference)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
