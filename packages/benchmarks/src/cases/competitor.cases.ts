import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  retry,
  timeout as cockatielTimeout,
  wrap,
} from 'cockatiel';
import CircuitBreaker from 'opossum';
import { firstValueFrom, of, retry as rxRetry, timeout as rxTimeout } from 'rxjs';
import { answer, rejecting, resolving, type BenchCase } from '../lib/bench-case.js';
import { HOUR } from './bulwark.cases.js';

/** Opossum breakers own interval timers (rolling stats): shut them down when the suite ends. */
const opossumBreakers: CircuitBreaker[] = [];

export function shutdownCompetitors(): void {
  for (const breaker of opossumBreakers.splice(0)) breaker.shutdown();
}

function opossum<T>(action: () => Promise<T>, options?: CircuitBreaker.Options): CircuitBreaker<[], T> {
  const breaker = new CircuitBreaker(action, options);
  opossumBreakers.push(breaker as CircuitBreaker);
  return breaker;
}

/** cockatiel 3.2.1 and opossum 9 (the last versions for Node 20), plain RxJS: success path. */
export function competitorCases(): BenchCase[] {
  const breaker = circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) });
  const stack = wrap(
    retry(handleAll, { maxAttempts: 3, backoff: new ExponentialBackoff() }),
    circuitBreaker(handleAll, { halfOpenAfter: 30_000, breaker: new ConsecutiveBreaker(5) }),
    cockatielTimeout(1_000, TimeoutStrategy.Aggressive),
  );
  const defaultOpossum = opossum(answer); // default options: 10 s timeout, rolling stats
  return [
    resolving('cockatiel.breaker', () => breaker.execute(answer)),
    resolving('cockatiel.wrap', () => stack.execute(answer)),
    resolving('opossum.breaker', () => defaultOpossum.fire()),
    resolving('rxjs.plain', () => firstValueFrom(of(42).pipe(rxTimeout(1_000), rxRetry(3)))),
    resolving('rxjs.firstValueFrom', () => firstValueFrom(of(42))),
  ];
}

/** Each competitor's breaker opened, for the fast-fail path. */
export async function competitorOpenCases(): Promise<BenchCase[]> {
  const cockatielBreaker = circuitBreaker(handleAll, { halfOpenAfter: HOUR, breaker: new ConsecutiveBreaker(5) });
  const failure = new Error('dependency down');
  for (let i = 0; i < 5; i++) {
    await cockatielBreaker.execute(() => Promise.reject(failure)).catch(() => undefined);
  }
  if (cockatielBreaker.state !== CircuitState.Open) {
    throw new Error(`cockatiel breaker did not open (state ${CircuitState[cockatielBreaker.state]})`);
  }
  const opossumBreaker = opossum(answer, { resetTimeout: HOUR });
  opossumBreaker.open();
  if (!opossumBreaker.opened) throw new Error('opossum breaker did not open');
  return [
    rejecting('cockatiel.open', () => cockatielBreaker.execute(answer), (error) => error instanceof BrokenCircuitError),
    rejecting(
      'opossum.open',
      () => opossumBreaker.fire(),
      (error) => (error as { code?: unknown } | null)?.code === 'EOPENBREAKER',
    ),
  ];
}
