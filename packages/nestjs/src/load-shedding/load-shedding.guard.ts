import { LoadShedError, type AdmissionController, type AdmissionOutcome, type AdmissionPriority, type AdmissionRelease } from '@bulwark/core';
import { Injectable, Optional, ServiceUnavailableException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { UNAVAILABLE_MESSAGE } from '../errors/resilience-error.interceptor.js';
import { ResilienceErrorLogger } from '../errors/resilience-error.logger.js';
import { LOAD_SHEDDING_EXEMPT, PRIORITY_METADATA } from '../resilience.constants.js';
import { InboundAdmission } from './inbound-admission.js';

/** The raw Node response under Express's (itself) and Fastify's (`reply.raw`). */
interface RawResponse {
  readonly statusCode: number;
  readonly writableFinished: boolean;
  readonly destroyed: boolean;
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

/**
 * Inbound load shedding (`loadShedding` option), a global guard: each HTTP request takes a place
 * from the application's admission controller, with its route's `@Priority` (handler, then
 * controller, else `default`), and gives it back when its response is closed. A request shed
 * (no capacity, or it waited in the queue past the target) is answered 503 with `Retry-After`
 * (seconds, rounded up) through the application's exception filters, before any interceptor, pipe
 * or handler runs.
 *
 * What the limit learns from a request, by how it ended: a response sent below 500 (4xx ones
 * aside) is a latency sample; a 504 (its deadline passed) is a drop; other 5xx and 4xx responses
 * and a client that went away before the response was sent teach nothing (a fast failure would
 * only raise the limit). `critical` requests are admitted at once and counted in flight, but teach
 * nothing either: probes and admin calls say little about the application's latency.
 *
 * Bulwark's own routes (health, live view, admin, metrics) pass uncounted. Non-HTTP contexts
 * (microservices, websockets) pass: they have no response to answer 503 on, and their transports
 * have their own flow control.
 */
@Injectable()
export class LoadSheddingGuard implements CanActivate {
  private readonly controller: AdmissionController | undefined;

  constructor(
    admission: InboundAdmission,
    private readonly adapterHost: HttpAdapterHost,
    @Optional() private readonly errorLogger?: ResilienceErrorLogger,
  ) {
    this.controller = admission.controller;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const controller = this.controller;
    if (controller === undefined || context.getType() !== 'http') return true;
    const handler = context.getHandler();
    const type = context.getClass();
    if (Reflect.getMetadata(LOAD_SHEDDING_EXEMPT, type) === true) return true;
    const priority: AdmissionPriority = Reflect.getMetadata(PRIORITY_METADATA, handler) ?? Reflect.getMetadata(PRIORITY_METADATA, type) ?? 'default';
    const response = context.switchToHttp().getResponse<object>();
    const raw = ((response as { raw?: RawResponse }).raw ?? response) as RawResponse;
    // A client that leaves while its request waits in the queue takes it out of the queue.
    const left = new AbortController();
    const onClose = (): void => left.abort();
    raw.once('close', onClose);
    return controller.acquire(priority, left.signal).then(
      (release) => {
        raw.off('close', onClose);
        return this.admitted(raw, release, priority);
      },
      (error: unknown) => {
        raw.off('close', onClose);
        // Nobody to answer: no handler runs, nothing is logged.
        if (left.signal.aborted) return false;
        return this.shed(error, response, context);
      },
    );
  }

  private admitted(raw: RawResponse, release: AdmissionRelease, priority: AdmissionPriority): boolean {
    // The client left as the request was admitted: its place goes back at once, no handler runs.
    if (raw.destroyed) {
      release('ignored');
      return false;
    }
    raw.once('close', () => release(priority === 'critical' ? 'ignored' : outcomeOf(raw)));
    return true;
  }

  private shed(error: unknown, response: object, context: ExecutionContext): never {
    if (!(error instanceof LoadShedError)) throw error;
    const seconds = Math.max(1, Math.ceil(error.retryAfterMs / 1000));
    this.adapterHost.httpAdapter?.setHeader(response, 'Retry-After', String(seconds));
    this.errorLogger?.answered(503, error, `${context.getClass().name}.${context.getHandler().name}`);
    throw new ServiceUnavailableException(UNAVAILABLE_MESSAGE, { cause: error });
  }
}

/** What the limit learns from a request whose response closed (see `LoadSheddingGuard`). */
export function outcomeOf(response: Pick<RawResponse, 'statusCode' | 'writableFinished'>): AdmissionOutcome {
  if (!response.writableFinished) return 'ignored';
  const status = response.statusCode;
  if (status === 504) return 'dropped';
  return status >= 400 ? 'ignored' : 'success';
}
