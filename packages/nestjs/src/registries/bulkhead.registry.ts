import { AdaptiveBulkheadPolicy, BulkheadPolicy, createLimitAlgorithm, type LimitAlgorithm, type LimitAlgorithmName } from '@bulwark/core';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PolicyDeclarations } from '../discovery/policy-declarations.js';
import {
  isAdaptive,
  isLimitAlgorithm,
  mergeBulkheadOptions,
  validateResilienceBulkheadOptions,
  type ResilienceBulkheadOptions,
} from '../options/bulkhead-options.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** A bulkhead of the registry: static (`maxConcurrent`) or adaptive (a learnt `limit`). */
export type AnyBulkheadPolicy = BulkheadPolicy | AdaptiveBulkheadPolicy;

/** What an adaptive bulkhead's limit is made of, for health and the live view. */
export interface AdaptiveBulkheadLimit {
  /** The algorithm by the name options use, `'custom'` for a `LimitAlgorithm` object. */
  readonly algorithm: LimitAlgorithmName | 'custom';
  readonly minLimit: number;
  readonly maxLimit: number;
}

/**
 * The application's bulkheads, by name: one concurrency limit shared by every method naming it,
 * static or adaptive (`{ adaptive: true | { ...limit options } }`) as their options say.
 */
@Injectable()
export class BulkheadRegistry extends PolicyRegistry<AnyBulkheadPolicy, ResilienceBulkheadOptions> {
  protected readonly kind = 'bulkhead';
  private readonly limits = new WeakMap<AdaptiveBulkheadPolicy, AdaptiveBulkheadLimit>();

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

  /** The algorithm and bounds of an adaptive bulkhead this registry built. */
  adaptiveLimit(bulkhead: AdaptiveBulkheadPolicy): AdaptiveBulkheadLimit | undefined {
    return this.limits.get(bulkhead);
  }

  protected base(): ResilienceBulkheadOptions {
    return { ...this.options.defaults?.bulkhead } as ResilienceBulkheadOptions;
  }

  protected named(name: string): ResilienceBulkheadOptions | undefined {
    return this.isConfigured(name) ? this.options.bulkheads![name] : undefined;
  }

  /** The most specific layer that says `adaptive` or `maxConcurrent` decides the kind (see `mergeBulkheadOptions`). */
  protected override merge(name: string, inline: ResilienceBulkheadOptions | undefined): ResilienceBulkheadOptions {
    return mergeBulkheadOptions([this.base(), inline, this.named(name)]);
  }

  protected build(name: string, options: ResilienceBulkheadOptions, path: string): AnyBulkheadPolicy {
    validateResilienceBulkheadOptions(options, path);
    const clock = this.options.clock;
    if (!isAdaptive(options)) {
      const { adaptive: _static, ...rest } = options;
      return new BulkheadPolicy({ ...rest, name, clock, validationPath: path });
    }
    const adaptive = options.adaptive === true ? undefined : options.adaptive;
    // Built here rather than by the policy: health reports the algorithm and its bounds.
    const algorithm: LimitAlgorithm = createLimitAlgorithm(adaptive, `${path}.adaptive`);
    const bulkhead = new AdaptiveBulkheadPolicy({ name, clock, validationPath: path, maxQueue: options.maxQueue, adaptive: algorithm });
    const named = isLimitAlgorithm(adaptive) ? 'custom' : (adaptive?.algorithm ?? 'gradient2');
    this.limits.set(bulkhead, { algorithm: named, minLimit: algorithm.minLimit, maxLimit: algorithm.maxLimit });
    return bulkhead;
  }
}
