import { ExecutionScope, runInScope, systemClock, TimeoutError, type Clock, type TimerHandle } from '@bulwark/core';
import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { DEADLINE_METADATA } from './deadline.decorator.js';
import { resolveDeadlines, type ResolvedDeadlines } from './deadlines.options.js';
import { parseGrpcTimeout, parseRelativeBudget } from './request-budget.parser.js';

/** Something that says when the client has gone: a Node `ServerResponse`, a gRPC call. */
interface Closable {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** What a request brings: its budget (ms) if any, and how to learn that its client left. */
interface RequestFacts {
  readonly budget: number | undefined;
  readonly closable: Closable | undefined;
  /** The event that says the client left, and whether the answer was still unsent then. */
  readonly event: string;
  readonly gone: () => boolean;
}

/** The reason a request's scope aborts when its client goes away. */
export function clientGoneReason(): DOMException {
  return new DOMException('The client closed the connection before the answer was sent', 'AbortError');
}

/**
 * Gives each request a scope of its own, so every resilient call its handler makes shares it:
 *
 * - its budget: the smaller of the caller's (`x-request-deadline-ms`, or `grpc-timeout` on gRPC,
 *   clamped: not a number is none, negative is none left, huge is `deadlines.max`) and the
 *   handler's `@Deadline(ms)`. Timeouts inside end no later; outbound `@bulwark/http` requests send
 *   what is left; when it runs out the calls still running are cancelled and the request is
 *   answered with a `TimeoutError` (504). A request that arrives with no time left is answered at
 *   once, without running the handler.
 * - its client: when the client goes away before the answer is sent, the scope aborts, so calls
 *   still running stop (their signals abort) and retries and fallbacks end. Neither counts against
 *   a breaker: the dependency did not fail, the caller left.
 *
 * Requests with no budget enter a scope only for their client (one listener, no timer).
 */
@Injectable()
export class RequestDeadlineInterceptor implements NestInterceptor {
  private readonly settings: ResolvedDeadlines;
  private readonly clock: Clock;
  /** `@Deadline` of each handler (handler function → ms or null), looked up once. */
  private readonly declared = new Map<Function, number | null>();

  constructor(
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    private readonly reflector: Reflector,
  ) {
    this.settings = resolveDeadlines(options.deadlines);
    this.clock = options.clock ?? systemClock;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const facts = this.factsOf(context);
    if (facts === undefined) return next.handle();
    const { budget, closable, event, gone } = facts;
    if (budget !== undefined && budget <= 0) return new Observable((subscriber) => subscriber.error(new TimeoutError('request deadline', 0)));
    return new Observable((subscriber) => {
      const scope = ExecutionScope.cancellable();
      let timer: TimerHandle | undefined;
      if (budget !== undefined) {
        const error = (): TimeoutError => new TimeoutError('request deadline', budget);
        scope.deadline = this.clock.now() + budget;
        scope.deadlineError = error;
        timer = this.clock.setTimeout(() => {
          timer = undefined;
          const reason = error();
          scope.abort(reason);
          subscriber.error(reason);
        }, budget);
        timer.unref();
      }
      const onClose = (): void => {
        if (gone()) scope.abort(clientGoneReason());
      };
      closable?.on(event, onClose);
      // The handler is bound to the async context `handle()` is called in: this scope.
      const subscription = runInScope(scope, () => next.handle()).subscribe(subscriber);
      return () => {
        if (timer !== undefined) this.clock.clearTimeout(timer);
        closable?.off(event, onClose);
        scope.dispose();
        subscription.unsubscribe();
      };
    });
  }

  private factsOf(context: ExecutionContext): RequestFacts | undefined {
    const declared = this.declaredBudget(context);
    const { header, max } = this.settings;
    const type = context.getType();
    if (type === 'http') {
      const http = context.switchToHttp();
      const request = http.getRequest<{ headers?: Record<string, unknown> }>();
      const reply = http.getResponse<{ raw?: unknown }>();
      // Fastify's reply wraps Node's response; Express' is it.
      const response = (reply?.raw ?? reply) as (Closable & { writableFinished?: boolean }) | undefined;
      const sent = header === undefined ? undefined : parseRelativeBudget(request?.headers?.[header], max);
      const closable = typeof response?.on === 'function' && typeof response.off === 'function' ? response : undefined;
      return { budget: smaller(sent, declared), closable, event: 'close', gone: () => response?.writableFinished !== true };
    }
    if (type === 'rpc') {
      // gRPC: the metadata is the call's context, the call itself says when it is cancelled.
      const metadata = context.switchToRpc().getContext<{ get?: (key: string) => unknown[] } | undefined>();
      const sent = header === undefined || typeof metadata?.get !== 'function' ? undefined : parseGrpcTimeout(metadata.get('grpc-timeout')[0], max);
      const call = context.getArgByIndex<Closable | undefined>(2);
      const closable = typeof call?.on === 'function' && typeof call.off === 'function' ? call : undefined;
      return { budget: smaller(sent, declared), closable, event: 'cancelled', gone: () => true };
    }
    return declared === undefined ? undefined : { budget: declared, closable: undefined, event: 'close', gone: () => false };
  }

  private declaredBudget(context: ExecutionContext): number | undefined {
    const handler = context.getHandler();
    let ms = this.declared.get(handler);
    if (ms === undefined) {
      ms = this.reflector.getAllAndOverride<number | undefined>(DEADLINE_METADATA, [handler, context.getClass()]) ?? null;
      this.declared.set(handler, ms);
    }
    return ms ?? undefined;
  }
}

function smaller(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}
