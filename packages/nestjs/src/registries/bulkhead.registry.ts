import { BulkheadPolicy, type BulkheadOptions } from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** The application's bulkheads, by name: one concurrency limit shared by every method naming it. */
@Injectable()
export class BulkheadRegistry extends PolicyRegistry<BulkheadPolicy, BulkheadOptions> {
  protected readonly label = 'bulkhead';

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions) {
    super();
    for (const name of Object.keys(options.bulkheads ?? {})) this.getOrCreate(name, undefined, `bulkheads.${name}`);
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.bulkheads ?? {}, name);
  }

  protected configured(name: string): BulkheadOptions {
    return { ...this.options.defaults?.bulkhead, ...this.options.bulkheads?.[name] };
  }

  protected build(name: string, options: BulkheadOptions, path: string): BulkheadPolicy {
    return new BulkheadPolicy({ ...options, name, clock: this.options.clock, validationPath: path });
  }
}
