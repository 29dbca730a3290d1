import { Injectable } from '@nestjs/common';
import { Bulkhead, CircuitBreaker, Fallback, Retry, Timeout } from '@bulwark/nestjs';

/**
 * The provider the metrics and tracing specs drive: one method per policy they observe (a retried
 * breaker call, a timed-out call that falls back, a bulkhead).
 */
@Injectable()
export class Dependencies {
  @Retry('pricing')
  @CircuitBreaker('pricing')
  async price(fail: boolean): Promise<number> {
    if (fail) throw new Error('pricing down');
    return 42;
  }

  @Fallback({ fn: () => -1 })
  @Timeout('slow')
  async slow(): Promise<number> {
    return new Promise<number>(() => undefined);
  }

  @Bulkhead('reports')
  async report(gate: Promise<void>): Promise<string> {
    await gate;
    return 'report';
  }
}
