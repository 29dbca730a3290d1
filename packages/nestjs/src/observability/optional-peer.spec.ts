import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importOptionalPeer } from './optional-peer.js';

const OPTIONAL_PEERS = ['prom-client', '@opentelemetry/api'];
const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Relative modules `file` imports at runtime (type-only imports are erased), statically or with
 * `import('./...')` (the feature modules), and the packages it imports statically.
 */
function runtimeImports(file: string): { relative: string[]; packages: string[] } {
  const source = readFileSync(file, 'utf8');
  const relative: string[] = [];
  const packages: string[] = [];
  for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'/gm)) {
    if (match[1] !== undefined) continue;
    const specifier = match[2]!;
    if (specifier.startsWith('.')) relative.push(resolve(dirname(file), specifier.replace(/\.js$/, '.ts')));
    else packages.push(specifier);
  }
  for (const match of source.matchAll(/\bimport\('(\.[^']+)'\)/g)) relative.push(resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
  return { relative, packages };
}

describe('optional peers', () => {
  it('are never imported statically by anything the package may load', () => {
    const seen = new Set<string>();
    const offenders: string[] = [];
    const pending = [resolve(SRC, 'index.ts')];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const { relative, packages } = runtimeImports(file);
      for (const peer of packages.filter((name) => OPTIONAL_PEERS.includes(name))) offenders.push(`${file} imports ${peer}`);
      pending.push(...relative);
    }
    expect(seen.has(resolve(SRC, 'observability/prometheus/prometheus.exporter.ts'))).toBe(true); // the walk reaches them
    expect(seen.has(resolve(SRC, 'observability/opentelemetry/opentelemetry.exporter.ts'))).toBe(true);
    expect(offenders).toEqual([]);
  });

  it('resolve undefined when the peer is missing, and reject when something else is broken', async () => {
    const missing = (code: string, message: string) => () => Promise.reject(Object.assign(new Error(message), { code }));
    await expect(importOptionalPeer('prom-client', missing('ERR_MODULE_NOT_FOUND', "Cannot find package 'prom-client' imported from /a.js"))).resolves.toBeUndefined();
    await expect(importOptionalPeer('prom-client', missing('MODULE_NOT_FOUND', "Cannot find module 'prom-client'"))).resolves.toBeUndefined();
    // The peer is there but one of its own dependencies is not: a broken install must surface.
    await expect(importOptionalPeer('prom-client', missing('ERR_MODULE_NOT_FOUND', "Cannot find package 'tdigest' imported from /p.js"))).rejects.toThrow('tdigest');
    await expect(importOptionalPeer('prom-client', () => Promise.reject(new SyntaxError('Unexpected token')))).rejects.toThrow(SyntaxError);
  });

  it('prefer named exports, falling back to a CommonJS default export', async () => {
    const named = { register: 1, default: { register: 2 } };
    expect(await importOptionalPeer('x', async () => named)).toBe(named);
    expect(await importOptionalPeer('x', async () => ({ default: { register: 2 } }))).toEqual({ register: 2 });
    expect(((await importOptionalPeer<{ Registry: unknown }>('prom-client')) as { Registry: unknown }).Registry).toBeDefined();
  });
});
