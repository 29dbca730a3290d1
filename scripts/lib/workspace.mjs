// The workspace's packages as the release scripts see them (scripts/check-publish.mjs, scripts/attw.mjs).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every workspace package (packages/*, examples/*): its directory, its path from the root, its package.json. */
export function workspacePackages() {
  return ['packages', 'examples'].flatMap((parent) =>
    readdirSync(join(ROOT, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, parent, entry.name, 'package.json')))
      .map((entry) => {
        const dir = join(ROOT, parent, entry.name);
        return { dir, path: `${parent}/${entry.name}`, manifest: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
      }),
  );
}

/** The packages published to npm: every workspace package not marked private. */
export function publicPackages() {
  return workspacePackages().filter((pkg) => pkg.manifest.private !== true);
}

/**
 * The environment for child npm commands. `npm run <script>` exports its own context (the
 * workspace, the root package.json, ...) as npm_* variables, which must not leak into an npm run
 * in a package directory; registry, TLS and proxy settings are kept.
 */
export function childEnv() {
  const keep = /^npm_config_(registry|.+:registry|userconfig|globalconfig|cafile|ca|strict_ssl|proxy|https_proxy|http_proxy|noproxy|fetch_.+|maxsockets|_auth.*|.+:_auth.*)$/i;
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !keep.test(key)) continue;
    if (key === 'INIT_CWD' || key === 'NODE_OPTIONS') continue;
    env[key] = value;
  }
  return env;
}

/** Runs a command, collecting stdout and stderr; never rejects. */
export function run(command, argv, { cwd, env = childEnv() }) {
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', (error) => done({ code: null, stdout, stderr: `${stderr}${String(error)}` }));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}
