import { answer, rejecting, resolving, type BenchCase } from '../lib/bench-case.js';

/**
 * `no-bulwark`: nothing of Bulwark, the competitors or Nest is ever loaded; only the bare call
 * runs (the baseline of the application tax). `no-bulwark-again`: the same, a second time (the A/A
 * control: how far apart two identical isolates land). `als-off`: Bulwark and the competitors loaded, a
 * Nest context with a breaker-only decorated method booted, and only cases that never enter an
 * AsyncLocalStorage scope, so competitors run at their natural cost. `als-on`: Bulwark's
 * AsyncLocalStorage switched on first, as in any application that has made one timed call, then
 * every case.
 */
export type Condition = 'no-bulwark' | 'no-bulwark-again' | 'als-off' | 'als-on';

export const CONDITIONS: readonly Condition[] = ['no-bulwark', 'no-bulwark-again', 'als-off', 'als-on'];

/** The isolates that time the bare call alone and must never load a library under test. */
export function isBareOnly(condition: Condition): boolean {
  return condition === 'no-bulwark' || condition === 'no-bulwark-again';
}

export interface CaseSet {
  readonly bare: BenchCase;
  readonly cases: BenchCase[];
  close(): Promise<void>;
}

/**
 * Set when this module imports a library under test (Bulwark, a competitor, Nest). Every such
 * import below is dynamic, behind this flag, so the `no-bulwark` isolate can check that it never
 * loaded one (the static import graph of the worker is checked by a spec).
 */
let librariesImported = false;

export function librariesLoaded(): boolean {
  return librariesImported;
}

/** Preallocated: the bare rejection measures a rejected await, not building an error. */
const BARE_FAILURE = new Error('bare rejection');
const bareReject = async (): Promise<never> => {
  throw BARE_FAILURE;
};

export async function buildCases(condition: Condition): Promise<CaseSet> {
  const bare = resolving('bare', answer);
  if (isBareOnly(condition)) return { bare, cases: [], close: async () => undefined };

  librariesImported = true;
  const bulwark = await import('./bulwark.cases.js');
  const competitors = await import('./competitor.cases.js');
  const { bootBenchContext, bootBreakerOnlyContext, bootStoreBenchContext } = await import('./nest-bench.app.js');
  const cases: BenchCase[] = [];
  const closers: (() => Promise<void>)[] = [];
  if (condition === 'als-on') {
    await bulwark.enterBulwarkScope();
    const { client, app } = await bootBenchContext();
    const observed = await bootBenchContext(true);
    // The store case needs a Redis: BULWARK_REDIS_URL or redis-server on the PATH (else the row says n/a).
    const { benchRedis } = await import('../lib/bench-redis.js');
    const redis = await benchRedis();
    const shared = redis === undefined ? undefined : await bootStoreBenchContext(redis.url);
    closers.push(async () => {
      await app.close();
      await observed.app.close();
      await shared?.close();
      await redis?.stop();
    });
    cases.push(
      ...bulwark.bulwarkScopedCases(),
      resolving('bulwark.decorated', () => client.value()),
      resolving('bulwark.decorated-metrics', () => observed.client.value()),
      resolving('nest.undecorated', () => client.plainValue()),
    );
    if (shared !== undefined) cases.push(resolving('bulwark.decorated-redis', () => shared.client.value()));
  }
  // In both isolates: "a breaker-only method in use" in an application, literally.
  const breakerOnly = await bootBreakerOnlyContext();
  closers.push(() => breakerOnly.app.close());
  cases.push(
    resolving('bulwark.decorated-breaker', () => breakerOnly.client.value()),
    ...bulwark.bulwarkUnscopedCases(),
    ...competitors.competitorCases(),
    ...(await bulwark.bulwarkOpenCases()),
    ...(await competitors.competitorOpenCases()),
    rejecting('bare.reject', bareReject, (error) => error === BARE_FAILURE),
  );
  return {
    bare,
    cases,
    async close() {
      competitors.shutdownCompetitors();
      for (const close of closers) await close();
    },
  };
}
