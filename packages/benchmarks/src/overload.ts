/**
 * `npm run bench:overload` (root: builds first). The storefront under 0.5x to 3x its downstream's
 * capacity with no limit, the best static bulkhead and the adaptive one: prints the tables and
 * targets on stdout (progress on stderr), writes results/overload.json and results/overload.md,
 * and on a full run rewrites the "Surviving overload" section of README.md and
 * overload-goodput.svg. `--quick` or BENCH_QUICK=1: a smoke run (results/overload-quick.*, nothing
 * rewritten).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { machineInfo } from './lib/machine.js';
import { runOverload } from './lib/overload-bench.js';
import { publishOverload } from './lib/overload-readme.js';
import { renderOverloadTables } from './lib/overload-summary.js';

async function main(): Promise<void> {
  let quick = process.env.BENCH_QUICK === '1';
  for (const arg of process.argv.slice(2)) {
    if (arg === '--quick') quick = true;
    else throw new Error(`unknown argument ${arg} (expected --quick)`);
  }
  const machine = machineInfo();
  const result = await runOverload(quick);
  const markdown = `## Surviving overload${quick ? ' (quick smoke run: too short to quote)' : ''}\n\n${renderOverloadTables(result)}\n`;
  process.stdout.write(`${markdown}\n`);
  const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));
  await mkdir(resultsDir, { recursive: true });
  const base = quick ? 'overload-quick' : 'overload';
  await writeFile(`${resultsDir}${base}.json`, `${JSON.stringify({ machine, ...result }, null, 2)}\n`);
  await writeFile(`${resultsDir}${base}.md`, markdown);
  if (!quick) await publishOverload(result, machine);
  process.stderr.write(`[overload] wrote results/${base}.json and results/${base}.md${quick ? '' : ', README.md and overload-goodput.svg'} in ${result.durationSeconds.toFixed(0)} s\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[overload] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
