#!/usr/bin/env node
// `changeset <args>` (@changesets/cli) on a Node it supports: this one if it is >= 22.11, else Node 24
// from the npm registry's `node` package (scripts/on-node.mjs), as on the Node 20 CI machine.
// Usage: node scripts/changeset.mjs <changeset arguments>   (npm run changeset, version-packages, release)
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(ROOT, 'node_modules/@changesets/cli/bin.js');
const [major, minor] = process.versions.node.split('.').map(Number);
const supported = major > 22 || (major === 22 && minor >= 11);
const [command, argv] = supported
  ? [process.execPath, [bin, ...process.argv.slice(2)]]
  : [process.execPath, [join(ROOT, 'scripts/on-node.mjs'), '24', '--', bin, ...process.argv.slice(2)]];
const child = spawn(command, argv, { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
