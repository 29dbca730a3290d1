import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;

/** Every module specifier reachable from `entry` by static runtime imports (type-only imports are erased; `import()` is not followed). */
function staticImports(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (/^\s*(?:import|export)\s+type\s/.test(match[0].trimStart())) continue;
      const specifier = match[1]!;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return { files, bare };
}

describe('the per-call worker', () => {
  it('loads nothing but node: built-ins and its own modules until a condition asks for the libraries (the no-bulwark isolate)', () => {
    const { files, bare } = staticImports(resolve(HERE, 'calls.worker.ts'));
    expect([...files].map((file) => file.slice(resolve(HERE, '..').length + 1)).sort()).toEqual([
      'cases/all.cases.ts',
      'lib/als-guard.ts',
      'lib/bench-case.ts',
      'lib/timing.ts',
      'lib/young-generation.ts',
      'suites/calls.worker.ts',
    ]);
    expect([...bare].filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  });

  it('follows the static imports that would load a library (the check itself)', () => {
    const { bare } = staticImports(resolve(HERE, '../cases/bulwark.cases.ts'));
    expect(bare.has('@bulwark/core')).toBe(true);
  });
});
