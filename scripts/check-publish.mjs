#!/usr/bin/env node
// What `npm publish` would ship, checked for each public package before a release does it:
// `npm publish --dry-run --json` in the package's directory (needs a build first), then
//   - npm says nothing but the dry run's own notices (no "auto-corrected" package.json, no other warning);
//   - every entry point of the exports map, `main`, `types` and `typesVersions` is in the tarball, each
//     export has `types` first and a `default`, each .js has its .d.ts, each source map's sources ship;
//   - no spec, test support (`testing/`), build info or tarball ships; README.md, CHANGELOG.md and
//     LICENSE (the root one, byte for byte) do;
//   - the metadata a registry page and provenance need: repository (with this package's directory),
//     homepage, bugs, keywords, author, MIT license, public access;
//   - `@bulwark/core` is a peer (one copy per application) whose range the workspace's version meets,
//     and no private workspace package is a dependency.
// A version already on the registry (main between releases) is not a problem: its files are then
// read from `npm pack --dry-run --json`.
//
// Usage: node scripts/check-publish.mjs
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import semver from 'semver';
import { ROOT, publicPackages, run, workspacePackages } from './lib/workspace.mjs';

/** What `npm publish --dry-run` always says when nobody is logged in: not a problem of the package. */
const DRY_RUN_NOTICES = [/^npm warn publish This command requires you to be logged in to \S+ \(dry-run\)$/];
const ALREADY_PUBLISHED = /cannot publish over the previously published versions?/i;
const SHIPPED_BY_MISTAKE = [
  [/\.(spec|test)\.[cm]?[jt]sx?(\.map)?$|\.(spec|test)\.d\.[cm]?ts(\.map)?$/, 'a spec file'],
  [/(^|\/)(testing|__tests__|test|tests|__mocks__|fixtures)\//, 'test support'],
  [/\.tsbuildinfo$/, 'TypeScript build info'],
  [/\.tgz$/, 'a tarball'],
  [/(^|\/)(etc\/.*\.api\.md|api-extractor[^/]*\.json|tsconfig[^/]*\.json|jest\.config\.[^/]+)$/, 'repository tooling'],
];

const rootLicense = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
const versions = new Map(workspacePackages().map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
const privateNames = new Set(workspacePackages().filter((pkg) => pkg.manifest.private === true).map((pkg) => pkg.manifest.name));
const packages = publicPackages();
const repositoryUrls = new Set(packages.map((pkg) => pkg.manifest.repository?.url));

let failed = 0;
for (const pkg of packages) {
  const { manifest } = pkg;
  const id = `${manifest.name}@${manifest.version}`;
  const problems = [];
  const notes = [];

  const publish = await run('npm', ['publish', '--dry-run', '--json'], { cwd: pkg.dir });
  const warnings = publish.stderr.split('\n').filter((line) => /^npm (warn|error)/i.test(line) && !DRY_RUN_NOTICES.some((notice) => notice.test(line)));
  let report = parseReport(publish.stdout, manifest.name);
  if (publish.code !== 0 && ALREADY_PUBLISHED.test(`${publish.stdout}\n${publish.stderr}`)) {
    notes.push(`${manifest.version} is on the registry already: files read from npm pack --dry-run`);
    const pack = await run('npm', ['pack', '--dry-run', '--json'], { cwd: pkg.dir });
    warnings.length = 0;
    warnings.push(...publish.stderr.split('\n').filter((line) => /^npm warn/i.test(line) && !DRY_RUN_NOTICES.some((notice) => notice.test(line))));
    warnings.push(...pack.stderr.split('\n').filter((line) => /^npm (warn|error)/i.test(line)));
    report = pack.code === 0 ? parseReport(pack.stdout, manifest.name) : undefined;
    if (report === undefined) problems.push(`npm pack --dry-run failed (exit ${pack.code}):\n${indent(pack.stderr)}`);
  } else if (publish.code !== 0 || report === undefined) {
    problems.push(`npm publish --dry-run failed (exit ${publish.code}):\n${indent(`${publish.stderr}\n${publish.stdout}`)}`);
  }
  for (const warning of warnings) problems.push(`npm said: ${warning.replace(/^npm /, '')}`);

  if (report !== undefined) {
    const files = new Set(report.files.map((file) => file.path));
    problems.push(...checkFiles(pkg, files), ...checkEntryPoints(manifest, files));
    notes.push(`${files.size} files, ${(report.size / 1024).toFixed(1)} kB packed`);
  }
  problems.push(...checkMetadata(pkg), ...checkDependencies(manifest));

  if (problems.length === 0) {
    console.log(`${id} ok (${notes.join('; ')})`);
  } else {
    failed++;
    console.log(`${id} FAILED:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}
console.log(`${packages.length - failed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;

function parseReport(stdout, name) {
  try {
    const json = JSON.parse(stdout);
    const report = Array.isArray(json) ? json[0] : (json[name] ?? json);
    return Array.isArray(report?.files) ? report : undefined;
  } catch {
    return undefined;
  }
}

function checkFiles(pkg, files) {
  const problems = [];
  for (const required of ['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']) {
    if (!files.has(required)) problems.push(`${required} is not in the tarball`);
  }
  if (files.has('LICENSE') && readFileSync(join(pkg.dir, 'LICENSE'), 'utf8') !== rootLicense) problems.push('LICENSE differs from the root LICENSE');
  if (files.has('CHANGELOG.md') && !readFileSync(join(pkg.dir, 'CHANGELOG.md'), 'utf8').startsWith(`# ${pkg.manifest.name}\n`)) {
    problems.push(`CHANGELOG.md does not start with "# ${pkg.manifest.name}" (Changesets writes under that title)`);
  }
  for (const file of files) {
    const mistake = SHIPPED_BY_MISTAKE.find(([pattern]) => pattern.test(file));
    if (mistake !== undefined) problems.push(`${file} would ship (${mistake[1]})`);
  }
  for (const file of files) {
    if (/\.[cm]?js$/.test(file) && !files.has(file.replace(/\.([cm]?)js$/, '.d.$1ts'))) problems.push(`${file} ships without its declaration file`);
    if (file.endsWith('.map') && existsSync(join(pkg.dir, file))) {
      const map = JSON.parse(readFileSync(join(pkg.dir, file), 'utf8'));
      for (const source of map.sources ?? []) {
        const shipped = posix.normalize(posix.join(posix.dirname(file), map.sourceRoot ?? '', source));
        if (!files.has(shipped)) problems.push(`${file} maps to ${shipped}, which does not ship`);
      }
    }
  }
  return problems;
}

function checkEntryPoints(manifest, files) {
  const problems = [];
  const target = (where, path) => {
    if (typeof path !== 'string') return problems.push(`${where} is not a path`);
    if (path.includes('*')) return undefined;
    if (!path.startsWith('./')) problems.push(`${where} (${path}) does not start with "./"`);
    if (!files.has(posix.normalize(path))) problems.push(`${where} points to ${path}, which is not in the tarball`);
    return undefined;
  };
  if (manifest.exports === undefined) problems.push('no exports map');
  for (const [subpath, conditions] of Object.entries(manifest.exports ?? {})) {
    if (typeof conditions === 'string') {
      if (!/\.json$/.test(conditions)) problems.push(`exports["${subpath}"] has no conditions: it needs "types" and "default"`);
      target(`exports["${subpath}"]`, conditions);
      continue;
    }
    const keys = Object.keys(conditions);
    if (keys[0] !== 'types') problems.push(`exports["${subpath}"] must list "types" first (TypeScript takes the first condition that matches)`);
    if (!keys.includes('default')) problems.push(`exports["${subpath}"] has no "default" condition`);
    for (const [condition, path] of Object.entries(conditions)) {
      target(`exports["${subpath}"].${condition}`, path);
      if (condition === 'types' && typeof path === 'string' && !/\.d\.[cm]?ts$/.test(path)) problems.push(`exports["${subpath}"].types (${path}) is not a declaration file`);
    }
  }
  if (manifest.main !== undefined) target('main', manifest.main);
  if (manifest.types !== undefined) target('types', manifest.types);
  for (const [range, paths] of Object.entries(manifest.typesVersions ?? {})) {
    for (const [pattern, targets] of Object.entries(paths)) for (const path of targets) target(`typesVersions["${range}"]["${pattern}"]`, path);
  }
  return problems;
}

function checkMetadata(pkg) {
  const { manifest } = pkg;
  const problems = [];
  const need = (field, ok) => {
    if (!ok) problems.push(`package.json: ${field}`);
  };
  need('"description" is missing', typeof manifest.description === 'string' && manifest.description.length > 0);
  need('"keywords" is missing or empty', Array.isArray(manifest.keywords) && manifest.keywords.length > 0);
  need('"license" must be "MIT"', manifest.license === 'MIT');
  need('"author" is missing', typeof manifest.author === 'string' || typeof manifest.author?.name === 'string');
  need('"homepage" is missing', typeof manifest.homepage === 'string' && manifest.homepage.startsWith('https://'));
  need('"bugs.url" is missing', typeof manifest.bugs?.url === 'string' && manifest.bugs.url.startsWith('https://'));
  need('"repository.type" must be "git"', manifest.repository?.type === 'git');
  need('"repository.url" must be a git+https:// URL ending in .git (npm rewrites anything else, with a warning)', /^git\+https:\/\/.+\.git$/.test(manifest.repository?.url ?? ''));
  need(`"repository.directory" must be "${pkg.path}" (provenance links the package to it)`, manifest.repository?.directory === pkg.path);
  need('"repository.url" must be the same in every public package', repositoryUrls.size === 1);
  need('"publishConfig.access" must be "public" (a scoped package is private by default)', manifest.publishConfig?.access === 'public');
  need('"engines.node" is missing', typeof manifest.engines?.node === 'string');
  need('"type" must be "module"', manifest.type === 'module');
  return problems;
}

function checkDependencies(manifest) {
  const problems = [];
  for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {})) {
      if (privateNames.has(name)) problems.push(`${field}: ${name} is a private workspace package, never published`);
    }
  }
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (name.startsWith('@bulwark/')) problems.push(`dependencies: ${name} must be a peer dependency (one copy per application), not a dependency`);
  }
  for (const [name, range] of Object.entries(manifest.peerDependencies ?? {})) {
    if (!versions.has(name)) continue;
    if (!semver.satisfies(versions.get(name), range)) problems.push(`peerDependencies: ${name} ${range} is not met by the workspace's ${name}@${versions.get(name)}`);
    if (manifest.devDependencies?.[name] === undefined) problems.push(`devDependencies: ${name} is a peer but not a devDependency (the workspace would not link it for the build)`);
  }
  return problems;
}

function indent(text) {
  return text.trim().split('\n').map((line) => `      | ${line}`).join('\n');
}
