import { systemClock, type ResilienceError } from '@bulwark/core';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { LogThrottle } from '../observability/logging/log-throttle.js';
import { loggingSettings } from '../observability/logging/logging.settings.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';

/**
 * Where the detail of a Bulwark error answered as 503/504 goes, since the response body names no
 * breaker, method or timeout: a warning through Nest's `Logger` (context `Bulwark`). An open
 * breaker rejects every request, so lines are rate-limited like transitions (`logging.rateLimitMs`
 * per policy and kind of error, repeats counted on the next line); `logging: false` silences them.
 */
@Injectable()
export class ResilienceErrorLogger implements OnModuleDestroy {
  private readonly logger = new Logger('Bulwark');
  private readonly throttle: LogThrottle | undefined;

  constructor(@Inject(RESILIENCE_OPTIONS) options: ResilienceModuleOptions) {
    const settings = loggingSettings(options.logging);
    if (settings === undefined) return;
    this.throttle = new LogThrottle(settings.rateLimitMs, options.clock ?? systemClock, (line) => this.logger.warn(line.message));
  }

  /** `error` escaped `handler` and was answered with `status`. */
  answered(status: number, error: ResilienceError, handler: string): void {
    this.throttle?.submit(`${error.name}\u0000${error.policyName}`, { level: 'warn', message: `${handler} answered ${status}: ${error.message}` });
  }

  onModuleDestroy(): void {
    this.throttle?.dispose();
  }
}
