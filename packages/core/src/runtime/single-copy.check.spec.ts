import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { currentSignal } from '../context/current-signal.js';
import { DUPLICATE_CORE_WARNING, checkSingleCopy } from './single-copy.check.js';

const MARKER = Symbol.for('@bulwark/core.loaded');
const THIS_COPY = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'single-copy.check.ts')).href;
const THIS_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'bulwark-single-copy-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Installs a copy of `@bulwark/core` at `<work>/<at>` holding only this module, compiled as the build
 * compiles it, under a package.json with `version`; returns the file URL of its module.
 */
function installCopy(at: string, version: string): string {
  const root = join(work, at);
  const file = join(root, 'dist/runtime/single-copy.check.js');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: '@bulwark/core', version, type: 'module' }));
  const source = readFileSync(fileURLToPath(THIS_COPY), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    fileName: 'single-copy.check.ts',
  });
  writeFileSync(file, outputText);
  return pathToFileURL(file).href;
}

/** Runs `script` (ESM) in a fresh Node process; resolves with the warnings it emitted with our code. */
function warningsOf(script: string): Promise<{ code: string; message: string }[]> {
  const collect = `const seen = []; process.on('warning', (w) => { if (w.code === '${DUPLICATE_CORE_WARNING}') seen.push({ code: w.code, message: w.message }); });
process.on('beforeExit', () => { console.log(JSON.stringify(seen)); seen.length = 0; });`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', `${collect}\n${script}`], { cwd: work, env: { ...process.env, NODE_OPTIONS: '' } }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n')[0]!) as { code: string; message: string }[]);
    });
  });
}

describe('one @bulwark/core per process', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('records the copy this test file loaded, and a test file has a global of its own: no warning under Jest', () => {
    const marker = (globalThis as Record<symbol, { url: string; warned: boolean } | undefined>)[MARKER];
    expect(marker).toEqual({ url: THIS_COPY, warned: false });
    expect(Object.getOwnPropertyDescriptor(globalThis, MARKER)?.enumerable).toBe(false);
    expect(currentSignal()).toBeUndefined();
  });

  it('warns once, naming both copies with their versions, the consequence and the fix, when another copy loaded first', () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const first = installCopy('app/node_modules/@bulwark/core', '0.1.0');
    const second = installCopy('app/node_modules/@bulwark/nestjs/node_modules/@bulwark/core', '0.2.0');
    const third = installCopy('other/node_modules/@bulwark/core', '0.1.0');
    const realm = {};
    checkSingleCopy(first, realm);
    checkSingleCopy(first, realm);
    expect(emitWarning).not.toHaveBeenCalled();
    checkSingleCopy(second, realm);
    checkSingleCopy(third, realm);
    expect(emitWarning).toHaveBeenCalledTimes(1);
    const [message, options] = emitWarning.mock.calls[0] as [string, { code: string }];
    expect(options).toEqual({ code: 'BULWARK_DUPLICATE_CORE' });
    expect(message).toContain(`@bulwark/core is loaded twice in this process: 0.1.0 at ${join(work, 'app/node_modules/@bulwark/core')}, `);
    expect(message).toContain(`and 0.2.0 at ${join(work, 'app/node_modules/@bulwark/nestjs/node_modules/@bulwark/core')}. `);
    expect(message).toContain('currentSignal() returns undefined inside calls the other copy runs');
    expect(message).toContain('`instanceof CircuitOpenError`');
    expect(message).toContain('Install @bulwark/core once');
    expect(message).toContain('npm ls @bulwark/core');
  });

  it('reads a marker another version left without failing, whatever it holds', () => {
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const frozen = {};
    Object.defineProperty(frozen, MARKER, { value: Object.freeze({ url: 42 }) });
    expect(() => checkSingleCopy(THIS_COPY, frozen)).not.toThrow();
    const bundled = {};
    Object.defineProperty(bundled, MARKER, { value: { url: 'data:text/javascript,bundled', warned: false } });
    checkSingleCopy(THIS_COPY, bundled);
    expect(emitWarning.mock.calls.map(([message]) => message)).toEqual([
      expect.stringContaining(`loaded twice in this process: an unknown version at an unknown location, and ${THIS_VERSION} at `),
      expect.stringContaining(`loaded twice in this process: an unknown version at data:text/javascript,bundled, and ${THIS_VERSION} at `),
    ]);
  });

  it('in a real process: two installed versions warn once; the same file imported and required again never does', async () => {
    const first = installCopy('proc/node_modules/@bulwark/core', '0.1.0');
    const second = installCopy('proc/node_modules/@bulwark/redis/node_modules/@bulwark/core', '0.3.0');
    const again = installCopy('proc2/node_modules/@bulwark/core', '0.1.0');
    const loadOne = `await import(${JSON.stringify(first)});
const { createRequire } = await import('node:module');
createRequire(import.meta.url)(${JSON.stringify(fileURLToPath(first))});`;
    expect(await warningsOf(loadOne)).toEqual([]);

    const warnings = await warningsOf(`${loadOne}\nawait import(${JSON.stringify(second)});\nawait import(${JSON.stringify(again)});`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain(
      `loaded twice in this process: 0.1.0 at ${join(work, 'proc/node_modules/@bulwark/core')}, and 0.3.0 at ${join(work, 'proc/node_modules/@bulwark/redis/node_modules/@bulwark/core')}.`,
    );
  });

  it('in a real process: one version installed twice, under two paths, warns too', async () => {
    const first = installCopy('same/node_modules/@bulwark/core', '0.1.0');
    const second = installCopy('same/node_modules/@bulwark/nestjs/node_modules/@bulwark/core', '0.1.0');
    const warnings = await warningsOf(`await import(${JSON.stringify(first)});\nawait import(${JSON.stringify(second)});`);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining(`0.1.0 at ${join(work, 'same/node_modules/@bulwark/core')}, and 0.1.0 at ${join(work, 'same/node_modules/@bulwark/nestjs/node_modules/@bulwark/core')}.`),
    ]);
  });
});
