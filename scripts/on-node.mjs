#!/usr/bin/env node
// Runs a script on another Node major, fetched from the npm registry's `node` package (cached by
// npx after the first run): `node scripts/on-node.mjs 24 -- node_modules/jest/bin/jest.js [args]`.
// The unit specs run with NODE_OPTIONS=--experimental-vm-modules, as `npm run test:unit` does.
import { execFileSync, spawn } from 'node:child_process';

const [major, separator, ...command] = process.argv.slice(2);
if (!/^\d+$/.test(major ?? '') || separator !== '--' || command.length === 0) {
  console.error('usage: node scripts/on-node.mjs <major> -- <script> [args...]');
  process.exit(2);
}
const node = execFileSync('npx', ['-y', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
console.error(`on-node: ${version} (${node}) ${command.join(' ')}`);
const child = spawn(node, command, {
  stdio: 'inherit',
  env: { ...process.env, NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules'].filter(Boolean).join(' ') },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128)));
