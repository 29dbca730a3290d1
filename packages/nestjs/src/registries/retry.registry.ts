import { RetryPolicy, type RetryOptions } from '@bulwark/core';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PolicyDeclarations } from '../discovery/policy-declarations.js';
import { isRetryable } from '../errors/client-error.classifier.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** The application's retry policies, by name. */
@Injectable()
export class RetryRegistry extends PolicyRegistry<RetryPolicy, RetryOptions> {
  protected readonly kind = 'retry';

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Optional() @Inject(PolicyDeclarations) declarations?: PolicyDeclarations,
  ) {
    super(declarations);
    this.createConfigured(Object.keys(options.retries ?? {}), 'retries');
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.retries ?? {}, name);
  }

  protected base(): RetryOptions {
    return { ...this.options.defaults?.retry };
  }

  protected named(name: string): RetryOptions | undefined {
    return this.isConfigured(name) ? this.options.retries![name] : undefined;
  }

  protected build(name: string, options: RetryOptions, path: string): RetryPolicy {
    // Without a `retryOn` of the user's, client errors (a 404 the method threw on purpose) are not repeated.
    const retryOn = options.retryOn ?? isRetryable;
    return new RetryPolicy({ ...options, retryOn, budget: this.budgetFor(name, options), name, clock: this.options.clock, validationPath: path });
  }

  /**
   * Which budget limits the policy `name`, most specific first: a `budget` given for this policy
   * (in `retries.<name>`, or by a decorator or `create`); else the store's fleet-wide budget, when
   * the store keeps one (a store created with a retry budget applies it to every retry policy);
   * else `defaults.retry.budget`, a local bucket per policy; else none. The store is asked only
   * for policies that will use its budget, so it keeps no bucket nobody draws from.
   */
  private budgetFor(name: string, options: RetryOptions): RetryOptions['budget'] {
    const own = options.budget;
    // Merged options hold the defaults' very object when nothing more specific replaced it.
    if (own !== undefined && own !== this.options.defaults?.retry?.budget) return own;
    return this.options.store?.retryBudget?.(name) ?? own;
  }
}
