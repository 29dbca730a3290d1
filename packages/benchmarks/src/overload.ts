/**
 * `npm run bench:overload` (root: builds first). The storefront under 0.5x to 3x its downstream's
 * capacity with no limit, the best static bulkhead and the adaptive one: prints the tables and
 * targets on stdout (progress on stderr), writes results/overload.json and results/overload.md,
 * and on a full run rewrites the "Surviving overload" section of README.md and
 * overload-goodput.svg. `--quick` or BENCH_QUICK=1: a smoke run (results/overload-quick.*, nothing
 * rewritten). `--render`: measures nothing, renders results/overload.json again (targets, tables,
 * README section, plot), after a change to how they are presented.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.js';
import { runOverload } from './lib/overload-bench.js';
import { publishOverload } from './lib/overload-readme.js';
import { evaluateOverloadTargets, renderOverloadTables, type OverloadResult } from './lib/overload-summary.js';
import type { MachineInfo } from './lib/machine.js';

async function main(): Promise<void> {
  let quick = process.env.BENCH_QUICK === '1';
  let render = false;
  for (const arg of process.argv.slice(2)) {
    if (arg === '--quick') quick = true;
    else if (arg === '--render') render = true;
    else throw new Error(`unknown argument ${arg} (expected --quick or --render)`);
  }
  const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
  let machine: MachineInfo;
  let result: OverloadResult;
  if (render) {
    const saved = JSON.parse(await readFile(`${resultsDir}overload.json`, 'utf8')) as OverloadResult & { machine: MachineInfo };
    const { machine: savedMachine, ...rest } = saved;
    machine = savedMachine;
    result = { ...rest, targets: evaluateOverloadTargets(rest.points, rest.sweepLoad, rest.unloadedP99Ms) };
    quick = result.quick;
  } else {
    machine = machineInfo();
    result = await runOverload(quick);
  }
  const markdown = `## Surviving overload${quick ? ' (quick smoke run: too short to quote)' : ''}\n\n${renderOverloadTables(result)}\n`;
  process.stdout.write(`${markdown}\n`);
  await mkdir(resultsDir, { recursive: true });
  const base = quick ? 'overload-quick' : 'overload';
  await writeFile(`${resultsDir}${base}.json`, `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
  await writeFile(`${resultsDir}${base}.md`, markdown);
  if (!quick) await publishOverload(result, machine);
  const took = render ? '' : ` in ${result.durationSeconds.toFixed(0)} s`;
  process.stderr.write(`[overload] wrote results/${base}.json and results/${base}.md${quick ? '' : ', README.md and overload-goodput.svg'}${took}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[overload] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
