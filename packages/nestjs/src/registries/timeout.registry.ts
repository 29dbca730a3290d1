import { DEFAULT_TIMEOUT_PROFILES, TimeoutPolicy, type TimeoutOptions } from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import type { ResilienceModuleOptions, TimeoutSetting } from '../options/resilience-options.interface.js';
import { DEFAULT_TIMEOUT_MS, RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/**
 * The application's timeouts, by name. The article's profiles (`database` 5 s, `internal` 3 s,
 * `external` 10 s, `health` 1 s) always exist and can be overridden in `timeouts`.
 */
@Injectable()
export class TimeoutRegistry extends PolicyRegistry<TimeoutPolicy, TimeoutOptions> {
  protected readonly label = 'timeout';

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions) {
    super();
    const names = new Set([...Object.keys(DEFAULT_TIMEOUT_PROFILES), ...Object.keys(options.timeouts ?? {})]);
    for (const name of names) this.getOrCreate(name, undefined, `timeouts.${name}`);
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.timeouts ?? {}, name) || Object.hasOwn(DEFAULT_TIMEOUT_PROFILES, name);
  }

  /** The timeout for `@Timeout()` without arguments. */
  get defaultDuration(): number {
    return toOptions(this.options.defaults?.timeout)?.duration ?? DEFAULT_TIMEOUT_MS;
  }

  protected configured(name: string): TimeoutOptions {
    const setting = this.options.timeouts?.[name] ?? (DEFAULT_TIMEOUT_PROFILES as Record<string, number>)[name];
    return toOptions(setting) ?? { duration: this.defaultDuration };
  }

  protected build(name: string, options: TimeoutOptions, path: string): TimeoutPolicy {
    return new TimeoutPolicy({ duration: options.duration, name, clock: this.options.clock, validationPath: path });
  }
}

function toOptions(setting: TimeoutSetting | undefined): TimeoutOptions | undefined {
  if (setting === undefined) return undefined;
  return typeof setting === 'number' ? { duration: setting } : setting;
}
