import { DEFAULT_TIMEOUT_PROFILES, TimeoutPolicy, type TimeoutOptions } from '@bulwark/core';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { PolicyDeclarations } from '../discovery/policy-declarations.js';
import type { ResilienceModuleOptions, TimeoutSetting } from '../options/resilience-options.interface.js';
import { DEFAULT_TIMEOUT_MS, RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

const PROFILES = DEFAULT_TIMEOUT_PROFILES as Readonly<Record<string, number>>;

/**
 * The application's timeouts, by name. The article's profiles (`database` 5 s, `internal` 3 s,
 * `external` 10 s, `health` 1 s) always exist; a decorator's `{ name, duration }` or the module's
 * `timeouts` override them.
 */
@Injectable()
export class TimeoutRegistry extends PolicyRegistry<TimeoutPolicy, TimeoutOptions> {
  protected readonly kind = 'timeout';

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Optional() @Inject(PolicyDeclarations) declarations?: PolicyDeclarations,
  ) {
    super(declarations);
    this.createConfigured(new Set([...Object.keys(PROFILES), ...Object.keys(options.timeouts ?? {})]), 'timeouts');
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.timeouts ?? {}, name) || Object.hasOwn(PROFILES, name);
  }

  /** The names `@Timeout('name')` may use without a duration: the profiles and `timeouts`. */
  knownNames(): string[] {
    return [...new Set([...Object.keys(PROFILES), ...Object.keys(this.options.timeouts ?? {})])];
  }

  /**
   * Whether `@Timeout('name')` (without a duration) refers to a timeout that exists: a profile, a
   * configured one, one a decorator of the application defines (`{ name, duration }`), or one
   * created programmatically.
   */
  isKnown(name: string): boolean {
    return this.isConfigured(name) || this.has(name) || this.declared(name) !== undefined;
  }

  /** The timeout for `@Timeout()` without arguments. */
  get defaultDuration(): number {
    return toOptions(this.options.defaults?.timeout)?.duration ?? DEFAULT_TIMEOUT_MS;
  }

  /** A built-in profile is a default: a decorator's duration for that name overrides it. */
  protected base(name: string): TimeoutOptions {
    return { duration: Object.hasOwn(PROFILES, name) ? PROFILES[name]! : this.defaultDuration };
  }

  protected named(name: string): TimeoutOptions | undefined {
    return Object.hasOwn(this.options.timeouts ?? {}, name) ? toOptions(this.options.timeouts![name]) : undefined;
  }

  protected build(name: string, options: TimeoutOptions, path: string): TimeoutPolicy {
    return new TimeoutPolicy({ duration: options.duration, name, clock: this.options.clock, validationPath: path });
  }
}

function toOptions(setting: TimeoutSetting | undefined): TimeoutOptions | undefined {
  if (setting === undefined) return undefined;
  return typeof setting === 'number' ? { duration: setting } : setting;
}
