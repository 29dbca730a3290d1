import { BulkheadFullError, CircuitOpenError, TimeoutError } from '@bulwark/core';
import {
  GatewayTimeoutException,
  Inject,
  Injectable,
  Optional,
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { catchError, throwError, type Observable } from 'rxjs';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { ResilienceErrorLogger } from './resilience-error.logger.js';

/** What a client is told: what it can act on (come back later), nothing of the application's insides. */
export const UNAVAILABLE_MESSAGE = 'Service temporarily unavailable';
export const TIMED_OUT_MESSAGE = 'The service did not answer in time';

/**
 * Maps Bulwark errors escaping an HTTP handler to the HTTP errors they mean:
 * `CircuitOpenError` → 503 with `Retry-After` (seconds, rounded up), `BulkheadFullError` → 503,
 * `TimeoutError` → 504. They become Nest `HttpException`s (the original as `cause`), so the
 * application's own exception filters still render every response: nothing is taken from them.
 * The body names no breaker, method or timeout (`errorMapping: { detail: true }` puts the error's
 * message back); the detail is logged instead. Non-HTTP contexts (microservices, websockets) are
 * left alone, and so are errors thrown outside the handler (guards, pipes, middleware), which
 * Nest answers as any unknown error. Off with `errorMapping: false`.
 */
@Injectable()
export class ResilienceErrorInterceptor implements NestInterceptor {
  private readonly enabled: boolean;
  private readonly detail: boolean;

  constructor(
    @Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() @Inject(ResilienceErrorLogger) private readonly errorLogger?: ResilienceErrorLogger,
  ) {
    const mapping = options.errorMapping;
    this.enabled = mapping !== false;
    this.detail = typeof mapping === 'object' && mapping.detail === true;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.enabled || context.getType() !== 'http') return next.handle();
    return next.handle().pipe(catchError((error: unknown) => throwError(() => this.map(error, context))));
  }

  private map(error: unknown, context: ExecutionContext): unknown {
    if (error instanceof CircuitOpenError) {
      if (Number.isFinite(error.retryAfterMs)) {
        const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
        this.adapterHost.httpAdapter?.setHeader(context.switchToHttp().getResponse(), 'Retry-After', String(seconds));
      }
    } else if (!(error instanceof BulkheadFullError) && !(error instanceof TimeoutError)) {
      return error;
    }
    const status = error instanceof TimeoutError ? 504 : 503;
    this.errorLogger?.answered(status, error, `${context.getClass().name}.${context.getHandler().name}`);
    if (status === 504) return new GatewayTimeoutException(this.detail ? error.message : TIMED_OUT_MESSAGE, { cause: error });
    return new ServiceUnavailableException(this.detail ? error.message : UNAVAILABLE_MESSAGE, { cause: error });
  }
}
