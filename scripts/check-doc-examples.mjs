#!/usr/bin/env node
// Compiles every TypeScript example of the documentation against the BUILT packages, and runs the
// ones marked `run`: README.md, packages/*/README.md, examples/*/README.md and docs/**/*.md (not
// the generated API reference). Each ```ts block is a module of its own, written under
// tmp/doc-examples/ and type-checked in one program with the repository's compiler options; its
// `@bulwark/*` imports resolve as an application's would, through node_modules and each
// package's `exports` map to dist/ (so `npm run build` first). A type error is reported at its
// line in the Markdown file (or as in the hidden code of the example at that line); any error
// fails the check. How a block opts into a prelude, hidden code or a run, or out of the check as a
// fragment: scripts/lib/doc-examples.mjs.
//
// Usage: node scripts/check-doc-examples.mjs [--no-run] [file.md ...]
//   (no files: every documentation file; --no-run: type-check only)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { composeExample, extractExamples, originOf, readMarkdown } from './lib/doc-examples.mjs';
import { ROOT } from './lib/workspace.mjs';

const PRELUDES = join(ROOT, 'scripts/doc-examples/preludes');
const WORK = join(ROOT, 'tmp/doc-examples');
const RUN_TIMEOUT_MS = 60_000;

const args = process.argv.slice(2);
const runExamples = !args.includes('--no-run');
const files = args.filter((arg) => !arg.startsWith('--')).map((file) => resolve(file));
const started = performance.now();

function documentationFiles() {
  const found = [join(ROOT, 'README.md')];
  for (const parent of ['packages', 'examples']) {
    for (const entry of readdirSync(join(ROOT, parent), { withFileTypes: true })) {
      const readme = join(ROOT, parent, entry.name, 'README.md');
      if (entry.isDirectory() && existsSync(readme)) found.push(readme);
    }
  }
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        // The generated API reference, VitePress' own folder and the site's specs are not examples.
        if (['node_modules', '.vitepress', 'api', 'test'].includes(entry.name) && dir === join(ROOT, 'docs')) continue;
        walk(path);
      } else if (entry.name.endsWith('.md')) {
        found.push(path);
      }
    }
  };
  if (existsSync(join(ROOT, 'docs'))) walk(join(ROOT, 'docs'));
  return found;
}

const preludeCache = new Map();
function prelude(name) {
  if (!preludeCache.has(name)) {
    const path = join(PRELUDES, `${name}.ts`);
    if (!existsSync(path)) throw new Error(`no prelude "${name}" (expected ${relative(ROOT, path)})`);
    preludeCache.set(name, readFileSync(path, 'utf8'));
  }
  return preludeCache.get(name);
}

const problems = [];
const composedByPath = new Map();
let exampleCount = 0;
let fragmentCount = 0;
const markdownFiles = files.length > 0 ? files : documentationFiles();

rmSync(WORK, { recursive: true, force: true });
mkdirSync(WORK, { recursive: true });
for (const path of markdownFiles) {
  const file = relative(ROOT, path);
  let examples;
  try {
    examples = extractExamples(readMarkdown(path), file);
  } catch (error) {
    problems.push(error.message);
    continue;
  }
  let previous;
  for (const example of examples) {
    if (example.directive?.fragment !== undefined) {
      fragmentCount++;
      continue;
    }
    exampleCount++;
    if (example.directive?.continue && previous === undefined) {
      problems.push(`${file}:${example.line}: \`continue\` on the first example of the file`);
    }
    let composed;
    try {
      composed = composeExample(example, { previous: example.directive?.continue ? previous : undefined, prelude });
    } catch (error) {
      problems.push(`${file}:${example.line}: ${error.message}`);
      continue;
    }
    const out = join(WORK, 'examples', file.replace(/\.md$/, '').replace(/[^\w/-]/g, '_'), `line-${example.line}.ts`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, composed.source);
    composedByPath.set(out, { ...composed, file, line: example.line });
    previous = composed;
  }
}

// An ES module package of its own, so the examples are ESM whatever the root says.
writeFileSync(join(WORK, 'package.json'), JSON.stringify({ type: 'module', private: true }, null, 2));
const base = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.base.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
const options = {
  ...base.options,
  noEmit: false,
  declaration: false,
  declarationMap: false,
  sourceMap: true,
  rootDir: join(WORK, 'examples'),
  outDir: join(WORK, 'out'),
  types: ['node'],
  typeRoots: [join(ROOT, 'node_modules/@types')],
  skipLibCheck: true,
  noUnusedLocals: false,
  paths: undefined,
};
const program = ts.createProgram([...composedByPath.keys()], options);
const diagnostics = ts.getPreEmitDiagnostics(program);
const seen = new Set();
for (const diagnostic of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
  if (diagnostic.file === undefined) {
    problems.push(`TypeScript: ${message}`);
    continue;
  }
  const composed = composedByPath.get(resolve(diagnostic.file.fileName));
  if (composed === undefined) {
    problems.push(`${relative(ROOT, diagnostic.file.fileName)}: ${message}`);
    continue;
  }
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
  const origin = originOf(composed, line);
  const where = origin ? `${origin.file}:${origin.line}` : `${composed.file}:${composed.line} (in the example's hidden code or prelude)`;
  const text = `${where}: TS${diagnostic.code}: ${message}`;
  if (seen.has(text)) continue;
  seen.add(text);
  problems.push(text);
}

let ran = 0;
if (problems.length === 0 && runExamples) {
  const runnable = [...composedByPath.entries()].filter(([, composed]) => composed.run);
  for (const [path] of runnable) {
    const emitted = program.emit(program.getSourceFile(path));
    if (emitted.emitSkipped) problems.push(`${relative(ROOT, path)}: not emitted`);
  }
  for (const [path, composed] of runnable) {
    const js = join(options.outDir, relative(options.rootDir, path)).replace(/\.ts$/, '.js');
    const result = await runNode(js);
    ran++;
    if (result.code !== 0) {
      const output = `${result.stdout}${result.stderr}`.trim().split('\n').slice(-25).join('\n    ');
      problems.push(`${composed.file}:${composed.line}: the example failed when run (${result.reason}):\n    ${output}`);
    }
  }
}

const seconds = ((performance.now() - started) / 1000).toFixed(1);
if (problems.length > 0) {
  console.error(`Documentation examples: ${problems.length} problem(s)\n`);
  const position = (problem) => /^([^:\s]+\.md):(\d+)/.exec(problem) ?? ['', '~', '0'];
  problems.sort((a, b) => position(a)[1].localeCompare(position(b)[1]) || Number(position(a)[2]) - Number(position(b)[2]));
  for (const problem of problems) console.error(`  ${problem}`);
  console.error(`\n${exampleCount} examples in ${markdownFiles.length} files; ${seconds} s. Generated modules: ${relative(ROOT, WORK)}/examples`);
  process.exit(1);
}
console.log(
  `Documentation examples: ${exampleCount} compiled against the built packages (${markdownFiles.length} files), ${ran} ran, ${fragmentCount} marked as fragments; ${seconds} s`,
);

function runNode(js) {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['--enable-source-maps', js], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, reason: signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` after ${RUN_TIMEOUT_MS / 1000} s` : ''}` : `exit code ${code}` });
    });
  });
}
