import { RetryPolicy, type RetryOptions } from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** The application's retry policies, by name. */
@Injectable()
export class RetryRegistry extends PolicyRegistry<RetryPolicy, RetryOptions> {
  protected readonly label = 'retry policy';

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions) {
    super();
    for (const name of Object.keys(options.retries ?? {})) this.getOrCreate(name, undefined, `retries.${name}`);
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.retries ?? {}, name);
  }

  protected configured(name: string): RetryOptions {
    return { ...this.options.defaults?.retry, ...this.options.retries?.[name] };
  }

  protected build(name: string, options: RetryOptions, path: string): RetryPolicy {
    return new RetryPolicy({ ...options, name, clock: this.options.clock, validationPath: path });
  }
}
