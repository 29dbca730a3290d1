#!/usr/bin/env node
// Packed-tarball compatibility check for @bulwark/nestjs.
//
// Builds @bulwark/core, @bulwark/nestjs, @bulwark/redis and @bulwark/http, packs them with `npm pack`, then for each variant
// (Nest 11 / Nest 12, ESM / CommonJS app) installs the tarballs into a throwaway app in a fresh
// temp dir, exactly as a user would from the registry, and runs a plain-JavaScript app against
// them (compat/app/main.mjs or main.cjs, with the shared compat/app/checks.cjs). One line per variant, then `N passed, N failed`.
// Beside the variants: @bulwark/core installed alone (no rxjs), and installed twice (one warning,
// BULWARK_DUPLICATE_CORE); no variant app may print that warning.
//
// Usage: node compat/run-compat.mjs [--skip-build] [--keep] [--only id,id] [--concurrency N] [--cache DIR]
//   --skip-build     pack the existing dist/ folders (they must exist)
//   --keep           keep the temp dirs (tarballs, npm cache, apps) and print where they are
//   --only           run some variants: nest11-esm, nest11-cjs, nest12-esm, nest12-cjs
//   --concurrency N  npm installs at once (default 4)
//   --cache DIR      npm cache to use and keep (default: a fresh one per run, shared by the variants)
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const HERE = dirname(fileURLToPath(import.meta.url));
const PACKAGE_DIR = resolve(HERE, '..'); // packages/nestjs
const REPO_ROOT = resolve(PACKAGE_DIR, '../..');
const CORE_DIR = join(REPO_ROOT, 'packages/core');
const REDIS_DIR = join(REPO_ROOT, 'packages/redis');
const HTTP_DIR = join(REPO_ROOT, 'packages/http');
const PACKED_DIRS = [CORE_DIR, PACKAGE_DIR, REDIS_DIR, HTTP_DIR];
const BUILD_TIMEOUT_MS = 180_000;
const INSTALL_TIMEOUT_MS = 240_000;
const APP_TIMEOUT_MS = 60_000;
const DUPLICATE_CORE = 'BULWARK_DUPLICATE_CORE';

const VARIANTS = [
  { id: 'nest11-esm', nest: 11, type: 'module', app: 'main.mjs' },
  { id: 'nest11-cjs', nest: 11, type: 'commonjs', app: 'main.cjs' },
  { id: 'nest12-esm', nest: 12, type: 'module', app: 'main.mjs' },
  { id: 'nest12-cjs', nest: 12, type: 'commonjs', app: 'main.cjs' },
];

const { values: args } = parseArgs({
  options: {
    'skip-build': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    only: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    cache: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (args.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split("\n").slice(8, 14).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
  process.exit(0);
}

const selected = args.only === undefined ? VARIANTS : args.only.split(',').map((id) => {
  const variant = VARIANTS.find((v) => v.id === id.trim());
  if (variant === undefined) die(`--only: unknown variant "${id}" (known: ${VARIANTS.map((v) => v.id).join(', ')})`);
  return variant;
});
const concurrency = Number(args.concurrency);
if (!Number.isInteger(concurrency) || concurrency < 1) die(`--concurrency must be a positive integer (got ${args.concurrency})`);

const started = performance.now();
const workDir = mkdtempSync(join(tmpdir(), 'bulwark-compat-'));
const cacheDir = args.cache === undefined ? join(workDir, 'npm-cache') : resolve(args.cache);
const children = new Set();
let cleaned = false;
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) killTree(child);
    process.exit(130);
  });
}

try {
  await main();
} catch (error) {
  console.error(`compat: ${error instanceof Error ? error.message : String(error)}`);
  console.log(`0 passed, ${selected.length} failed`);
  process.exitCode = 1;
}

async function main() {
  // 1. build and pack
  if (!args['skip-build']) {
    for (const dir of PACKED_DIRS) {
      progress(`building ${relativeToRepo(dir)}`);
      const build = await run('npm', ['run', 'build'], { cwd: dir, timeoutMs: BUILD_TIMEOUT_MS });
      if (build.code !== 0) throw new Error(`build of ${relativeToRepo(dir)} failed (exit ${build.code}):\n${indent(build.output)}`);
    }
  }
  for (const dir of PACKED_DIRS) {
    if (!existsSync(join(dir, 'dist/index.js'))) throw new Error(`${relativeToRepo(dir)}/dist/index.js is missing: build first or drop --skip-build`);
  }
  const packDir = join(workDir, 'tarballs');
  mkdirSync(packDir);
  const tarballs = {};
  for (const dir of PACKED_DIRS) {
    const pack = await run('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: dir, timeoutMs: BUILD_TIMEOUT_MS });
    if (pack.code !== 0) throw new Error(`npm pack in ${relativeToRepo(dir)} failed (exit ${pack.code}):\n${indent(pack.output)}`);
    const [info] = JSON.parse(pack.stdout);
    tarballs[info.name] = join(packDir, info.filename);
    progress(`packed ${info.name}@${info.version} (${info.entryCount} files, ${(info.size / 1024).toFixed(1)} kB)`);
    const problems = await checkTarball(tarballs[info.name], join(workDir, 'unpacked', info.name));
    if (problems.length > 0) {
      throw new Error(
        `${info.filename} is incomplete (was dist/ rebuilt while it was packed?):\n${indent(problems.join('\n'))}`,
      );
    }
  }
  mkdirSync(cacheDir, { recursive: true });

  // 2. install every variant (in parallel, one shared npm cache), then 3. run the apps one by one
  const results = new Map();
  const coreAlone = checkCoreAlone(tarballs);
  const twoCores = checkTwoCores(tarballs);
  await pool(selected, concurrency, async (variant) => {
    results.set(variant.id, await install(variant, tarballs));
  });
  for (const variant of selected) {
    const result = results.get(variant.id);
    if (result.ok) Object.assign(result, await runApp(variant, result));
  }

  // 4. report
  let passed = 0;
  const alone = await coreAlone;
  if (alone.ok) console.log(`core-without-rxjs ok (installed ${seconds(alone.installMs)})`);
  else console.log(`core-without-rxjs FAILED: ${alone.reason}${alone.output ? `\n${indent(alone.output)}` : ''}`);
  const twice = await twoCores;
  if (twice.ok) console.log(`core-installed-twice ok: one ${DUPLICATE_CORE} warning (installed ${seconds(twice.installMs)})`);
  else console.log(`core-installed-twice FAILED: ${twice.reason}${twice.output ? `\n${indent(twice.output)}` : ''}`);
  for (const variant of selected) {
    const r = results.get(variant.id);
    const times = `installed ${seconds(r.installMs)}${r.runMs === undefined ? '' : `, ran ${seconds(r.runMs)}`}`;
    if (r.ok) {
      passed++;
      console.log(`${variant.id} ok (${times}) [${r.versions}]`);
    } else {
      console.log(`${variant.id} FAILED (${times})${r.versions ? ` [${r.versions}]` : ''}: ${r.reason}`);
      if (r.output) console.log(indent(r.output));
    }
  }
  progress(`total ${seconds(performance.now() - started)}${args.keep ? `; kept ${workDir}` : ''}`);
  console.log(`${passed} passed, ${selected.length - passed} failed`);
  process.exitCode = passed === selected.length && alone.ok && twice.ok ? 0 : 1;
}

/**
 * `@bulwark/core` installed on its own, without rxjs (an optional peer): both module systems load
 * its main entry.
 */
async function checkCoreAlone(tarballs) {
  const dir = join(workDir, 'core-alone');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'core-alone', private: true, type: 'module', dependencies: { '@bulwark/core': `file:${tarballs['@bulwark/core']}` } }, null, 2)}\n`);
  const npm = await run('npm', ['install', '--no-audit', '--no-fund', '--cache', cacheDir], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS });
  if (npm.code !== 0) return { ok: false, reason: `npm install exited ${npm.code}`, output: npm.output };
  if (existsSync(join(dir, 'node_modules/rxjs'))) return { ok: false, reason: 'rxjs was installed with @bulwark/core alone' };
  const script = [
    "const esm = await import('@bulwark/core');",
    "const { createRequire } = await import('node:module');",
    "const cjs = createRequire(import.meta.url)('@bulwark/core');",
    "const policy = new esm.CircuitBreakerPolicy({ name: 'alone' });",
    "console.log(typeof cjs.TimeoutPolicy, await policy.execute(async () => 'ok'));",
  ].join('\n');
  const load = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, timeoutMs: APP_TIMEOUT_MS });
  if (load.code !== 0 || load.stdout.trim() !== 'function ok') return { ok: false, installMs: npm.ms, reason: `loading it failed (exit ${load.code})`, output: load.output };
  return { ok: true, installMs: npm.ms };
}

/**
 * `@bulwark/core` installed twice in one app (the tarball under its own name and under an alias: one
 * version under two paths, as a stray nested copy would be): loading both, from `import` and from
 * `require`, prints one BULWARK_DUPLICATE_CORE warning naming both paths.
 */
async function checkTwoCores(tarballs) {
  const dir = join(workDir, 'core-twice');
  mkdirSync(dir, { recursive: true });
  const tarball = `file:${tarballs['@bulwark/core']}`;
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name: 'core-twice', private: true, type: 'module', dependencies: { '@bulwark/core': tarball, 'bulwark-core-copy': tarball } }, null, 2)}\n`);
  const npm = await run('npm', ['install', '--no-audit', '--no-fund', '--cache', cacheDir], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS });
  if (npm.code !== 0) return { ok: false, reason: `npm install exited ${npm.code}`, output: npm.output };
  const script = [
    "const seen = [];",
    `process.on('warning', (warning) => { if (warning.code === '${DUPLICATE_CORE}') seen.push(warning.message); });`,
    "await import('@bulwark/core');",
    "const { createRequire } = await import('node:module');",
    "createRequire(import.meta.url)('@bulwark/core');",
    "createRequire(import.meta.url)('bulwark-core-copy');",
    "await new Promise((resolve) => setImmediate(resolve));",
    "console.log(JSON.stringify(seen));",
  ].join('\n');
  const load = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: dir, timeoutMs: APP_TIMEOUT_MS });
  const result = { ok: false, installMs: npm.ms, output: load.output };
  if (load.code !== 0) return { ...result, reason: `loading both copies failed (exit ${load.code})` };
  const warnings = readJsonText(load.stdout.trim().split('\n').at(-1));
  if (!Array.isArray(warnings) || warnings.length !== 1) return { ...result, reason: `expected one ${DUPLICATE_CORE} warning, got ${Array.isArray(warnings) ? warnings.length : 'none'}` };
  const named = [join(dir, 'node_modules/@bulwark/core'), join(dir, 'node_modules/bulwark-core-copy')].every((path) => warnings[0].includes(path));
  if (!named) return { ...result, reason: 'the warning does not name both copies' };
  return { ok: true, installMs: npm.ms };
}

async function install(variant, tarballs) {
  const dir = join(workDir, variant.id);
  mkdirSync(dir);
  const range = `^${variant.nest}.0.0`;
  const pkg = {
    name: `bulwark-compat-${variant.id}`,
    version: '0.0.0',
    private: true,
    type: variant.type,
    main: 'main.js',
    dependencies: {
      '@bulwark/core': `file:${tarballs['@bulwark/core']}`,
      '@bulwark/nestjs': `file:${tarballs['@bulwark/nestjs']}`,
      '@bulwark/redis': `file:${tarballs['@bulwark/redis']}`,
      '@bulwark/http': `file:${tarballs['@bulwark/http']}`,
      ioredis: '^5.0.0',
      // @nestjs/axios follows Nest's major since 12; 4.x is the one for Nest 11.
      '@nestjs/axios': variant.nest >= 12 ? `^${variant.nest}.0.0` : '^4.0.0',
      axios: '^1.6.0',
      '@nestjs/common': range,
      '@nestjs/core': range,
      '@nestjs/platform-express': range,
      'reflect-metadata': '^0.2.0',
      rxjs: '^7.8.0',
    },
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  cpSync(join(HERE, 'app', variant.app), join(dir, 'main.js'));
  cpSync(join(HERE, 'app', 'checks.cjs'), join(dir, 'checks.cjs'));
  cpSync(join(HERE, 'app', 'lifetime.cjs'), join(dir, 'lifetime.cjs'));
  cpSync(join(HERE, 'app', 'lifetime.test.cjs'), join(dir, 'lifetime.test.cjs'));
  progress(`${variant.id}: npm install (@nestjs/* ${range}, "type": "${variant.type}")`);
  const npm = await run('npm', ['install', '--no-audit', '--no-fund', '--cache', cacheDir], { cwd: dir, timeoutMs: INSTALL_TIMEOUT_MS });
  const result = { ok: false, installMs: npm.ms, dir };
  if (npm.code !== 0) return { ...result, reason: `npm install ${npm.timedOut ? 'timed out' : `exited ${npm.code}`}`, output: npm.output };
  // The installed tree must be what a user gets: the right Nest major, one copy of Nest, Bulwark from the tarballs.
  const version = (name) => readJson(join(dir, 'node_modules', name, 'package.json'))?.version;
  const nestCore = version('@nestjs/core');
  result.versions = `@nestjs/core ${nestCore}, @nestjs/common ${version('@nestjs/common')}`;
  if (Number(nestCore?.split('.')[0]) !== variant.nest) return { ...result, reason: `expected @nestjs/core ${range}, installed ${nestCore}`, output: npm.output };
  for (const nested of ['@nestjs/common', '@nestjs/core', '@bulwark/core', 'reflect-metadata', 'rxjs']) {
    if (existsSync(join(dir, 'node_modules/@bulwark/nestjs/node_modules', nested))) {
      return { ...result, reason: `a second copy of ${nested} was installed under @bulwark/nestjs (peer/dependency ranges do not dedupe)`, output: npm.output };
    }
  }
  for (const dependent of ['@bulwark/redis', '@bulwark/http']) {
    for (const nested of ['@bulwark/core', '@bulwark/nestjs', '@nestjs/common', '@nestjs/axios', 'axios']) {
      if (existsSync(join(dir, 'node_modules', dependent, 'node_modules', nested))) {
        return { ...result, reason: `a second copy of ${nested} was installed under ${dependent}`, output: npm.output };
      }
    }
  }
  for (const name of ['@bulwark/core', '@bulwark/nestjs', '@bulwark/redis', '@bulwark/http']) {
    if (version(name) === undefined) return { ...result, reason: `${name} is not installed`, output: npm.output };
  }
  return { ...result, ok: true };
}

async function runApp(variant, installed) {
  progress(`${variant.id}: node main.js`);
  const app = await run(process.execPath, ['main.js'], { cwd: installed.dir, timeoutMs: APP_TIMEOUT_MS });
  if (app.code !== 0) {
    const lastLine = app.output.trim().split('\n').findLast((line) => line.startsWith('CHECK FAILED:'));
    const reason = app.timedOut ? `app timed out after ${APP_TIMEOUT_MS / 1000} s` : lastLine ?? `app exited ${app.code ?? app.signal}`;
    return { ok: false, runMs: app.ms, reason, output: app.output };
  }
  if (app.output.includes(DUPLICATE_CORE)) {
    return { ok: false, runMs: app.ms, reason: `the app warned about a second copy of @bulwark/core (${DUPLICATE_CORE}), with one installed`, output: app.output };
  }
  const lifetime = await checkLifetime(variant, installed.dir);
  return { ok: lifetime === undefined, runMs: app.ms, reason: lifetime?.reason, output: lifetime?.output };
}

/**
 * A pending timed call keeps a script alive until it times out (its operation holds nothing
 * open), before the script's own 'beforeExit' runs and under `node --test`, and a finished one
 * leaves nothing behind that would (compat/app/lifetime.cjs, lifetime.test.cjs).
 */
async function checkLifetime(variant, cwd) {
  progress(`${variant.id}: node lifetime.cjs pending, idle; node --test lifetime.test.cjs`);
  const pending = await run(process.execPath, ['lifetime.cjs', 'pending'], { cwd, timeoutMs: 20_000 });
  if (pending.code !== 0 || !/^timed out after \d+ ms\nbeforeExit$/m.test(pending.stdout)) {
    return { reason: `a script with a pending timed call ended without its TimeoutError, or ran 'beforeExit' first (exit ${pending.code ?? pending.signal})`, output: pending.output };
  }
  const underTest = await run(process.execPath, ['--test', 'lifetime.test.cjs'], { cwd, timeoutMs: 20_000 });
  if (underTest.code !== 0) {
    return { reason: `node --test: a test awaiting a pending timed call did not pass (exit ${underTest.code ?? underTest.signal})`, output: underTest.output };
  }
  const idle = await run(process.execPath, ['lifetime.cjs', 'idle'], { cwd, timeoutMs: 20_000 });
  if (idle.code !== 0 || idle.stdout.trim() !== 'resolved 1' || idle.ms > 5_000) {
    return { reason: `a script whose timed call had finished (10 s timeout) took ${seconds(idle.ms)} to exit (exit ${idle.code ?? idle.signal})`, output: idle.output };
  }
  return undefined;
}

/**
 * Unpacks a tarball and checks it is self-contained: the entry points in its package.json exist,
 * and every relative import of every .js file resolves to a file inside the tarball. Catches a
 * `files` list that leaves something out, and a dist/ that changed while it was being packed.
 */
async function checkTarball(tarball, into) {
  mkdirSync(into, { recursive: true });
  const untar = await run('tar', ['-xzf', tarball, '-C', into], { cwd: into, timeoutMs: 60_000 });
  if (untar.code !== 0) return [`tar -xzf failed: ${untar.output.trim()}`];
  const root = join(into, 'package');
  const pkg = readJson(join(root, 'package.json'));
  if (pkg === undefined) return ['package.json is missing or invalid'];
  const problems = [];
  const entryPoints = [pkg.main, ...collectStrings(pkg.exports)].filter((p) => typeof p === 'string' && !p.includes('*'));
  for (const entry of new Set(entryPoints)) {
    if (!existsSync(join(root, entry))) problems.push(`package.json points to ${entry}, which is not in the tarball`);
  }
  const importPattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;
  for (const file of readdirSync(root, { recursive: true })) {
    if (!file.endsWith('.js')) continue;
    const source = readFileSync(join(root, file), 'utf8');
    for (const [, , specifier] of source.matchAll(importPattern)) {
      if (!existsSync(join(root, dirname(file), specifier))) problems.push(`${file} imports ${specifier}, which is not in the tarball`);
    }
  }
  return problems;
}

function collectStrings(value) {
  if (typeof value === 'string') return [value];
  if (value === null || typeof value !== 'object') return [];
  return Object.values(value).flatMap(collectStrings);
}

// ---- process helpers ---------------------------------------------------------------------------

/** Runs a command, collecting its output; never rejects. The whole process group is killed on timeout. */
function run(command, argv, { cwd, timeoutMs, env = childEnv() }) {
  const start = performance.now();
  return new Promise((done) => {
    let output = '';
    let stdout = '';
    let timedOut = false;
    const child = spawn(command, argv, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
    }, timeoutMs);
    const finish = (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      done({ code, signal, stdout, output, timedOut, ms: performance.now() - start });
    };
    child.on('error', (error) => finish(null, String(error)));
    child.on('close', finish);
  });
}

function killTree(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * The environment for child npm commands. `npm run compat` exports its own context (workspace,
 * prefix, package.json of packages/nestjs, ...) as npm_* variables, which must not leak into
 * the throwaway apps' installs; registry, TLS and proxy settings are kept.
 */
function childEnv() {
  const keep = /^npm_config_(registry|.+:registry|userconfig|globalconfig|cafile|ca|strict_ssl|proxy|https_proxy|http_proxy|noproxy|fetch_.+|maxsockets|_auth.*|.+:_auth.*)$/i;
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !keep.test(key)) continue;
    if (key === 'INIT_CWD' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return env;
}

async function pool(items, size, worker) {
  const queue = [...items];
  const runners = Array.from({ length: Math.min(size, queue.length) }, async () => {
    while (queue.length > 0) await worker(queue.shift());
  });
  await Promise.all(runners);
}

function cleanUp() {
  if (cleaned) return;
  cleaned = true;
  for (const child of children) killTree(child);
  if (args.keep) return;
  try {
    rmSync(workDir, { recursive: true, force: true });
  } catch (error) {
    console.error(`compat: could not remove ${workDir}: ${error.message}`);
  }
}

// ---- small helpers -----------------------------------------------------------------------------

function readJsonText(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function progress(message) {
  console.error(`  · ${message}`);
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function indent(text) {
  return text.trimEnd().split('\n').map((line) => `    | ${line}`).join('\n');
}

function relativeToRepo(dir) {
  return dir.slice(REPO_ROOT.length + 1);
}

function die(message) {
  console.error(`compat: ${message}`);
  process.exit(2);
}
