/** What the report says about each case: label, library, section, the anchor figure. */
export interface CaseInfo {
  readonly id: string;
  readonly label: string;
  readonly section: 'success' | 'fast-fail';
  /** Context rows (not a contender): the bare rejection, the undecorated method, ... */
  readonly reference?: boolean;
  /** The anchor overhead for this case, measured elsewhere. */
  readonly anchor?: string;
  /** A case that cannot run here, with the reason. */
  readonly unavailable?: string;
  /** A case that runs only when the machine has what it needs; the row's text when it did not. */
  readonly optional?: string;
}

export const CASES: readonly CaseInfo[] = [
  { id: 'bulwark.breaker', label: 'Bulwark `CircuitBreakerPolicy.execute`', section: 'success' },
  { id: 'bulwark.retry', label: 'Bulwark `RetryPolicy.execute` (maxRetries 3)', section: 'success' },
  { id: 'bulwark.timeout', label: 'Bulwark `TimeoutPolicy.execute` (1 s)', section: 'success' },
  { id: 'bulwark.fallback', label: 'Bulwark `FallbackPolicy.execute`', section: 'success' },
  { id: 'bulwark.bulkhead', label: 'Bulwark `BulkheadPolicy.execute` (10 concurrent)', section: 'success' },
  { id: 'bulwark.compose', label: 'Bulwark `composePolicies(fallback, retry, breaker, timeout)`', section: 'success' },
  { id: 'bulwark.rxjs', label: 'Bulwark `of(42).pipe(withPolicy(composed))` → `firstValueFrom`', section: 'success' },
  { id: 'bulwark.decorated', label: 'Bulwark `@Fallback @Retry @CircuitBreaker @Timeout` Nest provider', section: 'success' },
  { id: 'bulwark.decorated-metrics', label: 'same decorated provider, Prometheus metrics on (`metrics: { registry }`)', section: 'success' },
  {
    id: 'bulwark.decorated-redis',
    label: 'same decorated provider, breakers shared through Redis (`store: redisStore({ client })`)',
    section: 'success',
    optional: 'n/a (no Redis: set BULWARK_REDIS_URL or install redis-server)',
  },
  { id: 'bulwark.decorated-breaker', label: 'Bulwark `@CircuitBreaker()` alone on a Nest provider method (enters no ALS scope)', section: 'success' },
  { id: 'nest.undecorated', label: 'same Nest provider, undecorated twin method', section: 'success', reference: true },
  { id: 'cockatiel.breaker', label: 'cockatiel 3.2.1 `circuitBreaker(ConsecutiveBreaker(5))`', section: 'success', anchor: '~220' },
  { id: 'cockatiel.wrap', label: 'cockatiel 3.2.1 `wrap(retry, breaker, timeout)`', section: 'success', anchor: '~50,000' },
  { id: 'opossum.breaker', label: 'opossum 9 breaker, default 10 s timeout', section: 'success', anchor: '~2,400' },
  {
    id: 'nestjs-resilience',
    label: 'nestjs-resilience `@UseResilience(timeout, breaker, retry)`',
    section: 'success',
    anchor: '~78,000',
    unavailable: 'n/a (Nest <= 10 only)',
  },
  { id: 'rxjs.plain', label: 'plain RxJS `timeout(1000)` + `retry(3)` → `firstValueFrom`', section: 'success', anchor: '~10,000' },
  { id: 'rxjs.firstValueFrom', label: 'plain RxJS `firstValueFrom(of(42))`, no operator', section: 'success', reference: true },
  { id: 'bare.reject', label: 'bare rejected await (preallocated error)', section: 'fast-fail', reference: true },
  { id: 'bulwark.open', label: 'Bulwark open breaker', section: 'fast-fail' },
  { id: 'bulwark.open-stack', label: 'Bulwark open breaker, `captureStackTrace: true` (asked)', section: 'fast-fail', reference: true },
  { id: 'cockatiel.open', label: 'cockatiel 3.2.1 open breaker', section: 'fast-fail' },
  { id: 'opossum.open', label: 'opossum 9 open breaker', section: 'fast-fail' },
];

export const BARE_LABEL = 'bare `await (async () => 42)()`';
