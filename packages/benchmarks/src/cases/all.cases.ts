import { answer, rejecting, resolving, type BenchCase } from '../lib/bench-case.js';
import { bulwarkOpenCases, bulwarkScopedCases, bulwarkUnscopedCases, enterBulwarkScope } from './bulwark.cases.js';
import { benchRedis } from '../lib/bench-redis.js';
import { competitorCases, competitorOpenCases, shutdownCompetitors } from './competitor.cases.js';

/**
 * `als-off`: only cases that never enter an AsyncLocalStorage scope, so competitors run at their
 * natural cost. `als-on`: Bulwark's AsyncLocalStorage switched on first, as in any application
 * that has made one timed call, then every case.
 */
export type Condition = 'als-off' | 'als-on';

export interface CaseSet {
  readonly bare: BenchCase;
  readonly cases: BenchCase[];
  close(): Promise<void>;
}

/** Preallocated: the bare rejection measures a rejected await, not building an error. */
const BARE_FAILURE = new Error('bare rejection');
const bareReject = async (): Promise<never> => {
  throw BARE_FAILURE;
};

export async function buildCases(condition: Condition): Promise<CaseSet> {
  const cases: BenchCase[] = [];
  let closeNest: (() => Promise<void>) | undefined;
  if (condition === 'als-on') {
    await enterBulwarkScope();
    const { bootBenchContext, bootStoreBenchContext } = await import('./nest-bench.app.js');
    const { client, app } = await bootBenchContext();
    const observed = await bootBenchContext(true);
    // The store case needs a Redis: BULWARK_REDIS_URL or redis-server on the PATH (else the row says n/a).
    const redis = await benchRedis();
    const shared = redis === undefined ? undefined : await bootStoreBenchContext(redis.url);
    closeNest = async () => {
      await app.close();
      await observed.app.close();
      await shared?.close();
      await redis?.stop();
    };
    cases.push(
      ...bulwarkScopedCases(),
      resolving('bulwark.decorated', () => client.value()),
      resolving('bulwark.decorated-metrics', () => observed.client.value()),
      resolving('nest.undecorated', () => client.plainValue()),
    );
    if (shared !== undefined) cases.push(resolving('bulwark.decorated-redis', () => shared.client.value()));
  }
  cases.push(
    ...bulwarkUnscopedCases(),
    ...competitorCases(),
    ...(await bulwarkOpenCases()),
    ...(await competitorOpenCases()),
    rejecting('bare.reject', bareReject, (error) => error === BARE_FAILURE),
  );
  return {
    bare: resolving('bare', answer),
    cases,
    async close() {
      shutdownCompetitors();
      await closeNest?.();
    },
  };
}
