import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = dirname(fileURLToPath(import.meta.url));
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;

/** Every module specifier reachable from `entry` by runtime imports (type-only imports are erased). */
function reachableImports(entry: string): { files: Set<string>; bare: Set<string> } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(IMPORT)) {
      const statement = match[0];
      const specifier = match[1]!;
      if (/^\s*(?:import|export)\s+type\s/.test(statement.trimStart())) continue;
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return { files, bare };
}

describe('@bulwark/core entry points', () => {
  it('the main entry loads without rxjs (an optional peer): only node: built-ins are imported', () => {
    const { files, bare } = reachableImports(resolve(SRC, 'index.ts'));
    expect(files.size).toBeGreaterThan(20);
    expect([...bare].filter((specifier) => !specifier.startsWith('node:'))).toEqual([]);
  });

  it('the rxjs entry is where rxjs is imported', () => {
    const { bare } = reachableImports(resolve(SRC, 'rxjs/index.ts'));
    expect(bare.has('rxjs')).toBe(true);
  });
});
