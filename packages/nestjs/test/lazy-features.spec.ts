import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IsolatedBuild, type LoadedModules } from './support/loaded-modules.js';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

/** The code of the opt-in features, by feature: none of it may load unless the options ask for it. */
const FEATURES = {
  live: ['live/'],
  admin: ['admin/'],
  shared: ['routes/delegating.guard.js', 'observability/metrics/'],
  prometheus: ['observability/prometheus/'],
  openTelemetry: ['observability/opentelemetry/'],
  // Its guard and module; `@Priority` and the admission state health and metrics read are the engine's.
  loadShedding: ['load-shedding/load-shedding.'],
} as const;
const PEERS = { prometheus: '/node_modules/prom-client/', openTelemetry: '/node_modules/@opentelemetry/api/' } as const;

/** Type-only files compile to empty modules that nothing imports at run time. */
const TYPE_ONLY = /\.interface\.js$/;

function featureFiles(loaded: LoadedModules, feature: keyof typeof FEATURES): string[] {
  return loaded.bulwark.filter((file) => !TYPE_ONLY.test(file) && FEATURES[feature].some((prefix) => file.startsWith(prefix)));
}

function peers(loaded: LoadedModules): string[] {
  return Object.values(PEERS).filter((peer) => loaded.urls.some((url) => url.includes(peer)));
}

describe('opt-in features: an application loads only the code its options ask for', () => {
  let build: IsolatedBuild;
  beforeAll(() => {
    build = IsolatedBuild.create();
  });
  afterAll(() => build?.dispose());

  const run = (scenario: object, missing: readonly string[] = []): Promise<LoadedModules> =>
    build.run('resilience-app.mjs', { SCENARIO: JSON.stringify(scenario) }, missing);

  it('loads none of the live view, admin, metrics, OpenTelemetry and load-shedding code (nor prom-client, nor @opentelemetry/api) when none is asked for', async () => {
    const [forRoot, forRootAsync, withoutApi] = await Promise.all([
      run({ define: 'forRoot', options: { openTelemetry: false } }),
      run({ define: 'forRootAsync', options: { openTelemetry: false } }),
      // The default (on when @opentelemetry/api can be imported) without the API installed.
      run({ define: 'forRoot', options: {} }, ['@opentelemetry/api']),
    ]);
    for (const loaded of [forRoot, forRootAsync, withoutApi]) {
      expect(loaded.output).toEqual({ call: 42, status: { '/health/resilience': 200 } });
      for (const feature of Object.keys(FEATURES) as (keyof typeof FEATURES)[]) expect(featureFiles(loaded, feature)).toEqual([]);
      expect(peers(loaded)).toEqual([]);
      // The engine itself did load (the check sees the package's modules).
      expect(loaded.bulwark).toEqual(expect.arrayContaining(['index.js', 'resilience.module.js', 'resilience-core.module.js', 'discovery/resilience.explorer.js']));
    }
  }, 60_000);

  it('with forRootAsync and no @opentelemetry/api, fails start-up when the factory asks for OpenTelemetry', async () => {
    const loaded = await run({ define: 'forRootAsync', options: {}, factory: { openTelemetry: true } }, ['@opentelemetry/api']);
    expect(loaded.output).toEqual({ error: 'ResilienceModule: `openTelemetry` needs @opentelemetry/api, which is not installed: npm install @opentelemetry/api' });
    expect(featureFiles(loaded, 'openTelemetry')).toEqual([]);
  }, 60_000);

  it('loads each feature when asked for, and only it', async () => {
    const paths = ['/health/resilience', '/health/resilience/dashboard/data', '/health/resilience/pricing/reset', '/metrics'];
    const [everything, metricsOnly] = await Promise.all([
      run({ define: 'forRoot', options: { live: true, metrics: { path: 'metrics' }, openTelemetry: true, loadShedding: true }, admin: true, paths }),
      run({ define: 'forRootAsync', options: { metrics: {}, openTelemetry: false } }),
    ]);
    expect(everything.output).toEqual({ call: 42, status: Object.fromEntries(paths.map((path) => [path, 200])) });
    for (const feature of Object.keys(FEATURES) as (keyof typeof FEATURES)[]) expect(featureFiles(everything, feature)).not.toEqual([]);
    expect(peers(everything).sort()).toEqual(Object.values(PEERS).sort());

    expect(featureFiles(metricsOnly, 'prometheus')).not.toEqual([]);
    expect(featureFiles(metricsOnly, 'shared')).toContain('observability/metrics/policy-metrics.module.js');
    expect(featureFiles(metricsOnly, 'shared')).not.toContain('routes/delegating.guard.js');
    expect([
      ...featureFiles(metricsOnly, 'live'),
      ...featureFiles(metricsOnly, 'admin'),
      ...featureFiles(metricsOnly, 'openTelemetry'),
      ...featureFiles(metricsOnly, 'loadShedding'),
    ]).toEqual([]);
    expect(peers(metricsOnly)).toEqual([PEERS.prometheus]);
  }, 60_000);
});

describe('feature code in the module graph', () => {
  /** Relative modules a source file imports at run time: statically (`static`) or with `import()` (`dynamic`). */
  function imports(file: string): { static: string[]; dynamic: string[] } {
    const source = readFileSync(file, 'utf8');
    const at = (specifier: string): string => resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
    const found = { static: [] as string[], dynamic: [] as string[] };
    for (const match of source.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
      if (match[1] === undefined) found.static.push(at(match[2]!));
    }
    for (const match of source.matchAll(/\bimport\('(\.[^']+)'\)/g)) found.dynamic.push(at(match[1]!));
    return found;
  }

  function sources(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return sources(path);
      return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
    });
  }

  const isFeature = (file: string): boolean => {
    const path = relative(SRC, file).replace(/\.ts$/, '.js');
    return !TYPE_ONLY.test(path) && Object.values(FEATURES).some((prefixes) => prefixes.some((prefix) => path.startsWith(prefix)));
  };

  it('is reached from the package entry point only through import(), in one file', () => {
    const seen = new Set<string>();
    const pending = [join(SRC, 'index.ts')];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      pending.push(...imports(file).static);
    }
    expect([...seen].filter(isFeature).map((file) => relative(SRC, file))).toEqual([]);
    const importers = sources(SRC).filter((file) => !isFeature(file) && imports(file).dynamic.some(isFeature));
    expect(importers.map((file) => relative(SRC, file))).toEqual(['features/feature-imports.ts']);
  });
});
