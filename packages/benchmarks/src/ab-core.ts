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
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bulwarkScopedCases, bulwarkUnscopedCases, fullStack, type CoreBuild } from './cases/bulwark.cases.js';
import { summarize } from './lib/stats.js';


interface Args {
  a: string;
  b: string;
  rounds: number;
  histogram: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Partial<Args> = { rounds: 101, histogram: false };
  for (const arg of argv) {
    if (arg.startsWith('--a=')) args.a = arg.slice(4);
    else if (arg.startsWith('--b=')) args.b = arg.slice(4);
    else if (arg.startsWith('--rounds=')) args.rounds = Number(arg.slice('--rounds='.length));
    else if (arg === '--histogram') args.histogram = true;
    else throw new Error(`unknown argument ${arg} (expected --a=<core dist> --b=<core dist> [--rounds=N] [--histogram])`);
  }
  if (args.a === undefined || args.b === undefined) throw new Error('--a and --b name two built @bulwark/core dist directories');
  if (!Number.isInteger(args.rounds) || args.rounds! < 15) throw new Error('--rounds must be an integer >= 15');
  return args as Args;
}

const answer = async (): Promise<number> => 42;

/** The benchmark's full stack from `core`, its breaker keeping the duration histogram if asked. */
function stackOf(core: CoreBuild, name: string, histogram: boolean) {
  const stack = fullStack(name, core);
  if (histogram) {
    for (const policy of stack.policies) if (policy instanceof core.CircuitBreakerPolicy) policy.enableDurationHistogram();
  }
  return stack;
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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const load = async (dir: string): Promise<CoreBuild> => (await import(pathToFileURL(resolve(dir, 'index.js')).href)) as CoreBuild;
  const builds = { a: await load(args.a), b: await load(args.b) };
  const stacks = { a: stackOf(builds.a, 'a', args.histogram), b: stackOf(builds.b, 'b', args.histogram) };
  await exercise(builds.a);
  await exercise(builds.b);
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
