import { BulkheadPolicy, type BulkheadOptions } from '@bulwark/core';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PolicyDeclarations } from '../discovery/policy-declarations.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** The application's bulkheads, by name: one concurrency limit shared by every method naming it. */
@Injectable()
export class BulkheadRegistry extends PolicyRegistry<BulkheadPolicy, BulkheadOptions> {
  protected readonly kind = 'bulkhead';

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Optional() @Inject(PolicyDeclarations) declarations?: PolicyDeclarations,
  ) {
    super(declarations);
    this.createConfigured(Object.keys(options.bulkheads ?? {}), 'bulkheads');
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.bulkheads ?? {}, name);
  }

  protected base(): BulkheadOptions {
    return { ...this.options.defaults?.bulkhead };
  }

  protected named(name: string): BulkheadOptions | undefined {
    return this.isConfigured(name) ? this.options.bulkheads![name] : undefined;
  }

  protected build(name: string, options: BulkheadOptions, path: string): BulkheadPolicy {
    return new BulkheadPolicy({ ...options, name, clock: this.options.clock, validationPath: path });
  }
}
