import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../../..');
const PACKAGES = { core: join(REPO, 'packages/core/src'), nestjs: join(REPO, 'packages/nestjs/src') };
const FIXTURES = resolve(HERE, '../fixtures');
const RUN_TIMEOUT_MS = 30_000;

/**
 * `@bulwark/core` and `@bulwark/nestjs` compiled from their sources into a temporary directory, file
 * by file (the build compiles with `isolatedModules`, so each file compiles alone the same way), for
 * child processes that record which of their modules Node loads. The specs then see the sources as
 * they are, not a `dist` from an earlier build.
 */
export class IsolatedBuild {
  private constructor(readonly root: string) {}

  static create(): IsolatedBuild {
    const root = mkdtempSync(join(tmpdir(), 'bulwark-loaded-'));
    for (const [name, source] of Object.entries(PACKAGES)) transpileTree(source, join(root, name));
    return new IsolatedBuild(root);
  }

  /** Where `file` of `@bulwark/nestjs`'s sources (`live/live-view.module.ts`) was compiled to, as a URL. */
  nestjsUrl(file: string): string {
    return pathToFileURL(join(this.root, 'nestjs', file.replace(/\.ts$/, '.js'))).href;
  }

  /**
   * Runs `fixture` (in test/fixtures) with `env`, recording every module Node loads. `missing`
   * packages cannot be resolved (as if not installed). Resolves with the loaded URLs (those of the
   * compiled packages as paths relative to `@bulwark/nestjs`'s sources, e.g. `live/live-view.module.js`)
   * and the fixture's last stdout line, parsed.
   */
  async run(fixture: string, env: Record<string, string>, missing: readonly string[] = []): Promise<LoadedModules> {
    const log = join(this.root, `loaded-${process.hrtime.bigint()}.log`);
    writeFileSync(log, '');
    const aliases = {
      '@bulwark/core': pathToFileURL(join(this.root, 'core/index.js')).href,
      '@bulwark/core/rxjs': pathToFileURL(join(this.root, 'core/rxjs/index.js')).href,
      '@bulwark/nestjs': pathToFileURL(join(this.root, 'nestjs/index.js')).href,
    };
    const hooks = JSON.stringify({
      log,
      aliases,
      missing,
      build: pathToFileURL(this.root + '/').href,
      // Packages imported by the compiled files resolve from the repository's node_modules.
      anchor: pathToFileURL(join(REPO, 'packages/nestjs/package.json')).href,
    });
    const { stdout, stderr, code } = await node(['--import', pathToFileURL(join(FIXTURES, 'record-loads.mjs')).href, join(FIXTURES, fixture)], {
      ...env,
      BULWARK_LOAD_HOOKS: hooks,
    });
    if (code !== 0) throw new Error(`${fixture} exited with ${code}:\n${stderr}\n${stdout}`);
    const urls = readFileSync(log, 'utf8').split('\n').filter((line) => line !== '');
    const nestjs = pathToFileURL(join(this.root, 'nestjs') + '/').href;
    const lines = stdout.trim().split('\n');
    return {
      urls,
      bulwark: urls.filter((url) => url.startsWith(nestjs)).map((url) => url.slice(nestjs.length)),
      output: JSON.parse(lines[lines.length - 1] ?? 'null') as unknown,
    };
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface LoadedModules {
  /** Every module URL Node loaded (ES modules, and CommonJS entry points reached from them). */
  readonly urls: readonly string[];
  /** The `@bulwark/nestjs` modules loaded, relative to its sources (`live/live-view.module.js`). */
  readonly bulwark: readonly string[];
  readonly output: unknown;
}

function transpileTree(source: string, target: string): void {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ES2022,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    useDefineForClassFields: false,
    esModuleInterop: true,
    isolatedModules: true,
  };
  for (const file of walk(source)) {
    if (!file.endsWith('.ts') || file.endsWith('.spec.ts') || file.endsWith('.d.ts')) continue;
    const out = join(target, relative(source, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file }).outputText);
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

function node(args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      // Jest's --experimental-vm-modules is not for the children.
      { env: { ...process.env, NODE_OPTIONS: '', ...env }, timeout: RUN_TIMEOUT_MS, maxBuffer: 1 << 24 },
      (error, stdout, stderr) => done({ stdout, stderr, code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1 }),
    );
  });
}
