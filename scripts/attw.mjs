#!/usr/bin/env node
// Are the types wrong? Each public package is packed (npm pack) and checked by
// @arethetypeswrong/cli as TypeScript resolves it for every kind of consumer: node10 (the old
// `moduleResolution: node`), node16 from an ESM file, node16 from a CommonJS file, and bundler; every
// entry point of its exports map (`@bulwark/core/rxjs` too). Needs a build first.
//
// Usage: node scripts/attw.mjs
import { join } from 'node:path';
import { ROOT, publicPackages, run } from './lib/workspace.mjs';

const IGNORED_RULES = [
  // cjs-resolves-to-esm, reported for every entry point in the node16-from-CommonJS column: "a require
  // call resolved to an ESM JavaScript file". That is the design, not a packaging mistake: the packages
  // are ESM only (CONTRACT), and a CommonJS application require()s them, which Node >= 20.19 (the
  // packages' engines floor) does for ESM without a flag; the compatibility check runs such an app on
  // Nest 11 and 12. TypeScript >= 5.8 types that require() under `module: nodenext` or `node20`;
  // attw analyses with TypeScript 5.6's node16 rules, under which only a dynamic import() may load ESM.
  // Shipping a CommonJS build (or .d.cts types pretending to be one) to silence it would give a
  // CommonJS app a second copy of the core. Only this rule is off: the node16-from-CommonJS column is
  // still checked for everything else (missing or untyped entry points, types of the wrong module kind,
  // named exports, ...).
  'cjs-resolves-to-esm',
];

const attw = join(ROOT, 'node_modules/.bin/attw');
const packages = publicPackages();
// Packed and analysed side by side; the reports are printed in order.
const results = await Promise.all(
  packages.map((pkg) =>
    run(attw, ['--pack', pkg.dir, '--ignore-rules', ...IGNORED_RULES, '--format', 'table-flipped', '--no-color'], { cwd: ROOT }),
  ),
);
let failed = 0;
for (const [index, result] of results.entries()) {
  process.stdout.write(result.stdout);
  if (result.stderr.trim() !== '') process.stdout.write(result.stderr);
  if (result.code !== 0) {
    failed++;
    console.log(`attw: ${packages[index].manifest.name} FAILED (exit ${result.code})`);
  }
}
console.log(`\nattw: ${packages.length - failed} passed, ${failed} failed (ignoring only: ${IGNORED_RULES.join(', ')})`);
process.exitCode = failed === 0 ? 0 : 1;
