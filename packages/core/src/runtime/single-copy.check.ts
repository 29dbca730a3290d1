import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// One `@bulwark/core` per process. A second copy (two installed versions, or one version installed
// twice) has its own async-context storage and its own error classes, and nothing fails loudly:
// `currentSignal()` is undefined inside calls the other copy runs, and `instanceof CircuitOpenError`
// is false for the other copy's errors. The first copy loaded leaves a marker on `globalThis` under
// a registry symbol (the same symbol in every copy and version); a copy that finds another copy's
// marker warns, once per process. Every version reads the marker, so its key and its `url` field
// never change; fields may only be added.

/** The warning's code, for `process.on('warning')` and `node --disable-warning=BULWARK_DUPLICATE_CORE`. */
export const DUPLICATE_CORE_WARNING = 'BULWARK_DUPLICATE_CORE';

const MARKER = Symbol.for('@bulwark/core.loaded');

/** What the first copy leaves on `globalThis`. */
interface LoadedCopy {
  /** The URL of the first copy's `single-copy.check` module. */
  readonly url: string;
  /** Whether a later copy has warned already. */
  warned: boolean;
}

type MarkedGlobal = { [MARKER]?: Partial<LoadedCopy> };

/**
 * Records the copy whose `single-copy.check` module is at `url`, or warns if another copy was loaded
 * before it in `scope` (the realm's `globalThis`; test runners give each test file a realm of its
 * own, so their files never see each other's copies). The same URL again is the same copy evaluated
 * twice (a test runner's module registry reset), not a second install: it never warns.
 */
export function checkSingleCopy(url: string, scope: object = globalThis): void {
  const marked = scope as MarkedGlobal;
  const first = marked[MARKER];
  if (first === undefined || first === null) {
    const marker: LoadedCopy = { url, warned: false };
    Object.defineProperty(scope, MARKER, { value: marker, configurable: true, enumerable: false, writable: false });
    return;
  }
  if (first.url === url || first.warned === true) return;
  try {
    first.warned = true;
  } catch {
    // a marker another version froze: it may warn again, which is still better than staying silent
  }
  process.emitWarning(duplicateCoreMessage(describeCopy(first.url), describeCopy(url)), { code: DUPLICATE_CORE_WARNING });
}

/** The text of the warning, naming both copies as `<version> at <location>`. */
export function duplicateCoreMessage(first: string, second: string): string {
  return (
    `@bulwark/core is loaded twice in this process: ${first}, and ${second}. ` +
    'Each copy has its own async-context store and its own error classes: currentSignal() returns undefined ' +
    "inside calls the other copy runs (timeouts no longer reach the signal you pass on), and `instanceof CircuitOpenError` " +
    "(TimeoutError, BulkheadFullError, ResilienceError) is false for the other copy's errors. " +
    'Install @bulwark/core once: every @bulwark/* package takes it as a peer dependency, so add the one version they ' +
    'all accept to your own dependencies and deduplicate (`npm ls @bulwark/core` lists the copies; `npm dedupe`, or an ' +
    '`overrides` entry, leaves one).'
  );
}

/** `0.2.0 at /app/node_modules/@bulwark/core`, from the URL of a copy's `single-copy.check` module. */
function describeCopy(url: unknown): string {
  if (typeof url !== 'string') return 'an unknown version at an unknown location';
  const found = findPackage(url);
  if (found === undefined) return `an unknown version at ${url}`;
  return `${found.version} at ${found.dir}`;
}

/** The `@bulwark/core` package.json above a module file: its directory and version. */
function findPackage(url: string): { dir: string; version: string } | undefined {
  let dir: string;
  try {
    dir = dirname(fileURLToPath(url));
  } catch {
    return undefined; // not a file: URL (bundled, data:, ...)
  }
  for (;;) {
    const pkg = readPackageJson(join(dir, 'package.json'));
    if (pkg?.name === '@bulwark/core') return { dir, version: typeof pkg.version === 'string' ? pkg.version : 'an unknown version' };
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readPackageJson(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

checkSingleCopy(import.meta.url);
