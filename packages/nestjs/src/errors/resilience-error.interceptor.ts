import { BulkheadFullError, CircuitOpenError, TimeoutError } from '@bulwark/core';
import {
  GatewayTimeoutException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { catchError, throwError, type Observable } from 'rxjs';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';

/**
 * Maps Bulwark errors escaping an HTTP handler to the HTTP errors they mean:
 * `CircuitOpenError` → 503 with `Retry-After` (seconds, rounded up), `BulkheadFullError` → 503,
 * `TimeoutError` → 504. They become Nest `HttpException`s (the original as `cause`), so the
 * application's own exception filters still render every response: nothing is taken from them.
 * Non-HTTP contexts (microservices, websockets) are left alone. Off with `errorMapping: false`.
 */
@Injectable()
export class ResilienceErrorInterceptor implements NestInterceptor {
  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (this.options.errorMapping === false || context.getType() !== 'http') return next.handle();
    return next.handle().pipe(catchError((error: unknown) => throwError(() => this.map(error, context))));
  }

  private map(error: unknown, context: ExecutionContext): unknown {
    if (error instanceof CircuitOpenError) {
      if (Number.isFinite(error.retryAfterMs)) {
        const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
        this.adapterHost.httpAdapter?.setHeader(context.switchToHttp().getResponse(), 'Retry-After', String(seconds));
      }
      return new ServiceUnavailableException(error.message, { cause: error });
    }
    if (error instanceof BulkheadFullError) return new ServiceUnavailableException(error.message, { cause: error });
    if (error instanceof TimeoutError) return new GatewayTimeoutException(error.message, { cause: error });
    return error;
  }
}
