import {
  CircuitBreakerPolicy,
  composePolicies,
  ExecutionScope,
  KeyedCircuitBreakers,
  RetryPolicy,
  systemClock,
  TimeoutError,
  TimeoutPolicy,
  type CircuitBreakerOptions,
  type Clock,
  type ExecutionContext,
  type Operation,
  type TimerHandle,
  type ResiliencePolicy,
} from '@bulwark/core';
import { isFailureAnswer, isFailureStatus, isIdempotentRequest, isReadRequest, statusOf } from '../classify/http-classification.js';
import { LatencyWindow } from '../latency/latency-window.js';
import {
  DEFAULT_DEADLINE_HEADER,
  DEFAULT_DEADLINE_MARGIN_MS,
  DEFAULT_HEDGE_DELAY_MS,
  DEFAULT_HTTP_ATTEMPT_TIMEOUT_MS,
  DEFAULT_HTTP_TIMEOUT_MS,
  validateHttpResilienceOptions,
  type HttpRequestResilience,
  type HttpResilienceOptions,
} from '../options/http-resilience.options.js';

/** What the policies need to know of a request. */
export interface HttpRequestInfo {
  readonly method: string;
  /** Absolute URL: its origin keys the breaker. */
  readonly url: string;
  readonly hasIdempotencyKey: boolean;
  /** False for a body that can be read once (a stream): such a request is never sent twice. */
  readonly replayableBody: boolean;
}

/** What one attempt is given. */
export interface HttpAttempt {
  /** Aborts when the attempt's time is up, the request's, or when the caller cancels. */
  readonly signal: AbortSignal;
  /** The deadline header to send (`[name, ms left minus the margin]`), if any. */
  readonly deadlineHeader: readonly [string, string] | undefined;
}

/** Sends one attempt; resolves with the answer (whatever its status) or rejects with a network error. */
export type SendAttempt<R> = (attempt: HttpAttempt) => Promise<R>;

/** The policies of one origin: with and without retries (a request that may not be sent twice). */
interface OriginPolicies {
  readonly retried: ResiliencePolicy;
  readonly once: ResiliencePolicy;
  readonly latency: LatencyWindow;
}

/** Origins remembered for their latency when the client has no breakers (which would hold them). */
const MAX_LATENCY_ORIGINS = 1_000;

/**
 * The resilience of an HTTP client, shared by its three forms (`resilientFetch`, the axios adapter,
 * `createHttpPolicies`): per request a total timeout around retries (idempotent requests only), a
 * per-origin breaker, a per-attempt timeout, optional hedging of reads, and the remaining budget
 * sent to the server. Statuses are judged the HTTP way (see `isFailureStatus`); an answer is never
 * turned into an error: once retries are spent the last answer is returned, whatever its status.
 */
export class HttpResilience {
  readonly name: string;
  readonly totalTimeout: TimeoutPolicy;
  readonly attemptTimeout: TimeoutPolicy;
  readonly retry: RetryPolicy | undefined;
  readonly breakers: KeyedCircuitBreakers | undefined;
  private readonly clock: Clock;
  private readonly deadlineHeader: string | undefined;
  private readonly deadlineMargin: number;
  private readonly hedgeDelay: number | 'p95' | undefined;
  private readonly policiesOf: (origin: string) => OriginPolicies;

  constructor(options: HttpResilienceOptions = {}) {
    this.name = typeof options?.name === 'string' && options.name !== '' ? options.name : 'http';
    validateHttpResilienceOptions(options, this.name);
    this.clock = options.clock ?? systemClock;
    const clock = this.clock;
    this.totalTimeout = new TimeoutPolicy({ name: this.name, duration: options.timeout ?? DEFAULT_HTTP_TIMEOUT_MS, clock });
    this.attemptTimeout = new TimeoutPolicy({ name: `${this.name}:attempt`, duration: options.attemptTimeout ?? DEFAULT_HTTP_ATTEMPT_TIMEOUT_MS, clock });
    const retryOptions = options.retry;
    const isFailure = httpFailureClassifier(this.name);
    this.retry =
      retryOptions === false ? undefined : new RetryPolicy({ name: this.name, clock, retryOn: isFailure, retryOnResult: isFailureAnswer, ...retryOptions });
    if (options.circuitBreakers !== undefined) {
      this.breakers = options.circuitBreakers;
    } else if (options.circuitBreaker !== false) {
      this.breakers = KeyedCircuitBreakers.fromOptions({ ...httpCircuitBreakerOptions(options), name: this.name, clock });
    }
    const deadline = options.deadline;
    this.deadlineHeader = deadline === false ? undefined : (deadline?.header ?? DEFAULT_DEADLINE_HEADER).toLowerCase();
    this.deadlineMargin = deadline === false ? 0 : (deadline?.margin ?? DEFAULT_DEADLINE_MARGIN_MS);
    const hedging = options.hedging;
    this.hedgeDelay = hedging === undefined || hedging === false ? undefined : hedging === true ? 'p95' : (hedging.delay ?? 'p95');
    this.policiesOf = this.breakers === undefined ? this.originsWithoutBreakers() : this.breakers.derive((breaker) => this.build(breaker));
  }

  /**
   * Runs one request: `send` is called for each attempt (with its signal and deadline header) and
   * `discard` for every answer that is not the one returned (a failed attempt's, a hedge's loser),
   * so its body is released and its socket reused. `signal` is the caller's.
   */
  execute<R>(request: HttpRequestInfo, send: SendAttempt<R>, discard: (answer: R) => void, signal?: AbortSignal, overrides: HttpRequestResilience = {}): Promise<R> {
    let policies: OriginPolicies;
    let total: TimeoutPolicy;
    try {
      policies = this.policiesOf(new URL(request.url).origin);
      // A request's own budget is checked as the client's is (a bad one rejects, naming the field).
      total = overrides.timeout === undefined ? this.totalTimeout : new TimeoutPolicy({ name: this.name, duration: overrides.timeout, clock: this.clock, validationPath: 'resilience.timeout' });
    } catch (error) {
      return Promise.reject(error);
    }
    const retried = overrides.retry ?? isIdempotentRequest(request.method, request.hasIdempotencyKey, request.replayableBody);
    const hedged = this.hedgeDelay !== undefined && (overrides.hedging ?? true) && isReadRequest(request.method) && request.replayableBody;
    const attempts = new RequestAttempts(this, send, discard, hedged ? policies.latency : undefined, hedged ? this.hedgeDelayFor(policies.latency) : undefined);
    const policy = retried ? policies.retried : policies.once;
    return total.execute((context) => policy.run(attempts.attempt, context as ExecutionScope), signal).finally(() => attempts.done());
  }

  /**
   * @internal Runs `operation` as the attempts of `request` within `scope` (the plain-policies
   * form): no hedging, no discarding (the caller's client owns its answers).
   */
  run<T>(request: HttpRequestInfo, operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    let policies: OriginPolicies;
    try {
      policies = this.policiesOf(new URL(request.url).origin);
    } catch (error) {
      return Promise.reject(error);
    }
    const policy = isIdempotentRequest(request.method, request.hasIdempotencyKey, request.replayableBody) ? policies.retried : policies.once;
    return this.totalTimeout.run((context) => policy.run(operation, context as ExecutionScope), scope);
  }

  /** @internal The deadline header of an attempt with `context`'s deadline, or undefined (none to send). */
  deadlineOf(context: ExecutionContext): readonly [string, string] | undefined {
    const header = this.deadlineHeader;
    if (header === undefined || context.deadline === Infinity) return undefined;
    const left = Math.floor(context.deadline - this.clock.now() - this.deadlineMargin);
    // No time to do anything useful: the attempt is not sent (the caller's budget, not the server, ran out).
    if (left <= 0) throw (context as ExecutionScope).deadlineError?.() ?? new TimeoutError(this.name, 0);
    return [header, String(left)];
  }

  /** @internal Clock time now (the client's clock). */
  now(): number {
    return this.clock.now();
  }

  /** @internal A timer on the client's clock (hedging), unref'd: it never holds the process. */
  setTimer(callback: () => void, ms: number): TimerHandle {
    const timer = this.clock.setTimeout(callback, ms);
    timer.unref();
    return timer;
  }

  /** @internal */
  clearTimer(timer: TimerHandle): void {
    this.clock.clearTimeout(timer);
  }

  private build(breaker: CircuitBreakerPolicy | undefined): OriginPolicies {
    const stages = breaker === undefined ? [this.attemptTimeout] : [breaker, this.attemptTimeout];
    return {
      retried: this.retry === undefined ? composePolicies(...stages) : composePolicies(this.retry, ...stages),
      once: composePolicies(...stages),
      latency: new LatencyWindow(),
    };
  }

  /** Without breakers: one set of policies, and a latency window per origin, bounded. */
  private originsWithoutBreakers(): (origin: string) => OriginPolicies {
    const shared = this.build(undefined);
    const latencies = new Map<string, LatencyWindow>();
    return (origin) => {
      let latency = latencies.get(origin);
      if (latency === undefined) {
        if (latencies.size >= MAX_LATENCY_ORIGINS) latencies.clear();
        latency = new LatencyWindow();
        latencies.set(origin, latency);
      }
      return { ...shared, latency };
    };
  }

  private hedgeDelayFor(latency: LatencyWindow): number {
    const delay = this.hedgeDelay!;
    return delay === 'p95' ? (latency.percentile(95) ?? DEFAULT_HEDGE_DELAY_MS) : delay;
  }
}

/**
 * The options of a client's per-origin breakers: `circuitBreaker` as given, judging outcomes the
 * HTTP way unless it says otherwise (`isFailure`, `isFailureResult`). For a family created
 * elsewhere (Nest's registry) that `circuitBreakers` then hands to the client.
 */
export function httpCircuitBreakerOptions(options: Pick<HttpResilienceOptions, 'name' | 'circuitBreaker'> = {}): CircuitBreakerOptions {
  return { isFailure: httpFailureClassifier(options.name ?? 'http'), isFailureResult: isFailureAnswer, ...(options.circuitBreaker || {}) };
}

/**
 * Of client `name`: a network error, a failed status (an error carrying its `response`), or the
 * attempt's own timeout is the dependency's failure. A timeout of the request's budget (or the
 * caller's) is not: the caller ran out of time, and a client sending tiny budgets must not open
 * the breaker.
 */
function httpFailureClassifier(name: string): (error: unknown) => boolean {
  const attemptTimeoutName = `${name}:attempt`;
  return (error) => {
    if (error instanceof TimeoutError) return error.policyName === attemptTimeoutName;
    const status = statusOf((error as { response?: unknown } | null)?.response);
    return status === undefined || isFailureStatus(status);
  };
}

/**
 * The attempts of one request: each sends (or, hedged, may send twice) and discards the answer of
 * the attempt before it, so only the answer returned keeps its body.
 */
class RequestAttempts<R> {
  private last: R | undefined = undefined;

  constructor(
    private readonly client: HttpResilience,
    private readonly send: SendAttempt<R>,
    private readonly discard: (answer: R) => void,
    private readonly latency: LatencyWindow | undefined,
    private readonly hedgeDelay: number | undefined,
  ) {}

  readonly attempt = (context: ExecutionContext): Promise<R> => {
    this.release();
    const deadlineHeader = this.client.deadlineOf(context);
    const started = this.client.now();
    const sent = this.hedgeDelay === undefined ? this.send({ signal: context.signal, deadlineHeader }) : this.hedged(context, deadlineHeader);
    return sent.then((answer) => {
      this.last = answer;
      if (this.latency !== undefined && !isFailureAnswer(answer)) this.latency.record(this.client.now() - started);
      return answer;
    });
  };

  /** The request is over: nothing to keep but what was returned. */
  done(): void {
    this.last = undefined;
  }

  private release(): void {
    const last = this.last;
    this.last = undefined;
    if (last !== undefined) this.discard(last);
  }

  /**
   * A read sent once, then a second time if the first has not answered within the delay: the first
   * good answer (not a failure status) wins and the other request is aborted. A failure with nothing
   * else in flight ends the attempt at once (the retry decides what follows); with the other request
   * still out, it waits for that one.
   */
  private hedged(context: ExecutionContext, deadlineHeader: readonly [string, string] | undefined): Promise<R> {
    const controllers = [new AbortController(), new AbortController()] as const;
    const stop = (): void => {
      for (const controller of controllers) controller.abort(context.signal.reason);
    };
    context.signal.addEventListener('abort', stop, { once: true });
    return new Promise<R>((resolve, reject) => {
      let inFlight = 0;
      let decided = false;
      let failure: { answer: R } | { error: unknown } | undefined;
      const timer = this.client.setTimer(() => launch(1), this.hedgeDelay!);
      const decide = (outcome: { answer: R } | { error: unknown }, loser: AbortController | undefined): void => {
        decided = true;
        this.client.clearTimer(timer);
        context.signal.removeEventListener('abort', stop);
        loser?.abort(new DOMException('Another request answered first', 'AbortError'));
        if (failure !== undefined && failure !== outcome && 'answer' in failure) this.discard(failure.answer);
        if ('answer' in outcome) resolve(outcome.answer);
        else reject(outcome.error);
      };
      const failed = (outcome: { answer: R } | { error: unknown }): void => {
        if (failure !== undefined && 'answer' in failure) this.discard(failure.answer);
        failure = outcome;
        if (inFlight === 0) decide(outcome, undefined);
      };
      const launch = (index: 0 | 1): void => {
        if (decided) return;
        inFlight++;
        this.send({ signal: controllers[index].signal, deadlineHeader }).then(
          (answer) => {
            inFlight--;
            if (decided) this.discard(answer);
            else if (isFailureAnswer(answer)) failed({ answer });
            else decide({ answer }, controllers[1 - index]);
          },
          (error: unknown) => {
            inFlight--;
            if (!decided) failed({ error });
          },
        );
      };
      launch(0);
    });
  }
}
