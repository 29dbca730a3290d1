import {
  CircuitBreakerPolicy,
  EventEmitter,
  KeyedCircuitBreakers,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type Disposable,
  type Event,
} from '@bulwark/core';
import { Inject, Injectable } from '@nestjs/common';
import { isDependencyFailure } from '../errors/client-error.classifier.js';
import { isDeclaredKeyedCircuitBreaker } from '../decorators/keyed-circuit-breaker-names.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry } from './policy.registry.js';

/** A family of per-key breakers and how it came to be (to detect conflicting declarations). */
interface FamilyRecord {
  readonly family: KeyedCircuitBreakers;
  readonly overrides: CircuitBreakerOptions | undefined;
  readonly source: string;
  /** Whether a decorator or code of this application asked for it (not just the configuration). */
  claimed: boolean;
  readonly subscriptions: readonly Disposable[];
}

/**
 * The application's circuit breakers, by name. Configured breakers exist from start-up.
 *
 * A name may instead be a family of per-key breakers (`@CircuitBreaker({ name, key })`, one
 * breaker per tenant, say): `family(name)`. Its breakers are not in `list()` / `get()`; they are
 * announced through `onKeyedCreated` and `onKeyedRemoved` (evicted keys), and `observeBreakers`
 * follows both kinds at once. `forceOpen`, `disable` and `reset` on a family name apply to every
 * key of it, or to one key with the second argument.
 */
@Injectable()
export class CircuitBreakerRegistry extends PolicyRegistry<CircuitBreakerPolicy, CircuitBreakerOptions> {
  protected readonly label = 'circuit breaker';

  private readonly keyed = new Map<string, FamilyRecord>();
  private readonly familyCreated = new EventEmitter<KeyedCircuitBreakers>();
  private readonly keyedCreated = new EventEmitter<CircuitBreakerPolicy>();
  private readonly keyedRemoved = new EventEmitter<CircuitBreakerPolicy>();

  /** Fires for every family of per-key breakers created from now on. */
  readonly onFamilyCreated: Event<KeyedCircuitBreakers> = this.familyCreated.event;
  /** Fires for every per-key breaker created (its first call), before that call runs. */
  readonly onKeyedCreated: Event<CircuitBreakerPolicy> = this.keyedCreated.event;
  /** Fires for every per-key breaker dropped from its family (evicted, deleted). */
  readonly onKeyedRemoved: Event<CircuitBreakerPolicy> = this.keyedRemoved.event;

  constructor(@Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions) {
    super();
    for (const name of Object.keys(options.circuitBreakers ?? {})) {
      const source = `circuitBreakers.${name}`;
      if (isDeclaredKeyedCircuitBreaker(name)) this.registerFamily(name, undefined, source, false);
      else this.getOrCreate(name, undefined, source);
    }
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.circuitBreakers ?? {}, name);
  }

  protected configured(name: string): CircuitBreakerOptions {
    return { ...this.options.defaults?.circuitBreaker, ...this.options.circuitBreakers?.[name] };
  }

  protected build(name: string, options: CircuitBreakerOptions, path: string): CircuitBreakerPolicy {
    return new CircuitBreakerPolicy({ ...withNestClassifier(options), name, clock: this.options.clock, validationPath: path });
  }

  /** Throws if `name` is a family of per-key breakers: one name is one or the other. */
  override create(name: string, options?: CircuitBreakerOptions): CircuitBreakerPolicy {
    if (this.keyed.has(name)) throw new Error(`A circuit breaker named "${name}" already exists (per key)`);
    return super.create(name, options);
  }

  override getOrCreate(name: string, overrides?: CircuitBreakerOptions, source = `circuit breaker "${name}"`): CircuitBreakerPolicy {
    const record = this.keyed.get(name);
    if (record !== undefined) {
      if (record.claimed) {
        throw new Error(
          `${source} uses circuit breaker "${name}" as one shared breaker, but ${record.source} made it one breaker per key; ` +
            `give one of them another name.`,
        );
      }
      // Built per key from the configuration only because a class of another application declares
      // the name per key: here it is one shared breaker.
      this.dropFamily(name, record);
    }
    return super.getOrCreate(name, overrides, source);
  }

  /** The family of per-key breakers named `name`, if any. */
  family(name: string): KeyedCircuitBreakers | undefined {
    return this.keyed.get(name)?.family;
  }

  /** Every family of per-key breakers, in creation order. */
  families(): KeyedCircuitBreakers[] {
    return [...this.keyed.values()].map((record) => record.family);
  }

  /** Every per-key breaker of every family (idle ones are dropped first). */
  keyedBreakers(): CircuitBreakerPolicy[] {
    const breakers: CircuitBreakerPolicy[] = [];
    for (const { family } of this.keyed.values()) breakers.push(...family.list());
    return breakers;
  }

  /**
   * Creates a family of per-key breakers programmatically (`family.get(tenantId)` then gives each
   * key its breaker). `options` override the defaults and the configuration of that name, and
   * bound it (`maxKeys`, `keyIdleTimeout`). Throws if the name is taken.
   */
  createFamily(name: string, options?: CircuitBreakerOptions): KeyedCircuitBreakers {
    if (this.has(name) || this.keyed.has(name)) throw new Error(`A circuit breaker named "${name}" already exists`);
    return this.registerFamily(name, options, `circuit breaker "${name}"`, true);
  }

  /**
   * The family named `name`, created on first use (decorated methods call this at start-up).
   * Throws if the name is one shared breaker, or if two users give it different overrides.
   */
  getOrCreateFamily(name: string, overrides?: CircuitBreakerOptions, source = `circuit breaker "${name}"`): KeyedCircuitBreakers {
    if (this.has(name)) {
      throw new Error(
        `${source} uses circuit breaker "${name}" per key, but it is already one shared breaker; give the per-key one another name.`,
      );
    }
    const record = this.keyed.get(name);
    if (record === undefined) return this.registerFamily(name, overrides, source, true);
    if (overrides !== undefined && record.overrides !== undefined && !sameOverrides(record.overrides, overrides)) {
      throw new Error(
        `Circuit breaker "${name}" is configured differently by ${record.source} and ${source}; ` +
          `configure it once, in the module options, and refer to it by name.`,
      );
    }
    if (overrides !== undefined && record.overrides === undefined) {
      throw new Error(
        `${source} gives options for circuit breaker "${name}", which is already in use with its configured options; ` +
          `configure it in the module options instead.`,
      );
    }
    record.claimed = true;
    return record.family;
  }

  /**
   * Calls `added` with every breaker, shared or per key, now and as they are created, and
   * `removed` with every per-key breaker dropped from its family: what a shared store follows.
   */
  observeBreakers(added: (breaker: CircuitBreakerPolicy) => void, removed?: (breaker: CircuitBreakerPolicy) => void): Disposable {
    for (const breaker of this.list()) added(breaker);
    for (const breaker of this.keyedBreakers()) added(breaker);
    const subscriptions = [this.onCreated(added), this.onKeyedCreated(added)];
    if (removed !== undefined) subscriptions.push(this.onKeyedRemoved(removed));
    return { dispose: () => subscriptions.forEach((subscription) => subscription.dispose()) };
  }

  /**
   * Rejects every call until `reset` (health shows `forced-open`). On a family: every key, and
   * keys created afterwards; with `key`, that key only (created if need be).
   */
  forceOpen(name: string): CircuitBreakerPolicy | KeyedCircuitBreakers;
  forceOpen(name: string, key: string): CircuitBreakerPolicy;
  forceOpen(name: string, key?: string): CircuitBreakerPolicy | KeyedCircuitBreakers {
    const target = this.target(name, key, true);
    target.forceOpen();
    return target;
  }

  /** Lets every call through and stops tracking (health shows `disabled`); on families as `forceOpen`. */
  disable(name: string): CircuitBreakerPolicy | KeyedCircuitBreakers;
  disable(name: string, key: string): CircuitBreakerPolicy;
  disable(name: string, key?: string): CircuitBreakerPolicy | KeyedCircuitBreakers {
    const target = this.target(name, key, true);
    target.disable();
    return target;
  }

  /** Back to `closed` with cleared counts, from any state; a family's every key, or one held key. */
  reset(name: string): CircuitBreakerPolicy | KeyedCircuitBreakers;
  reset(name: string, key: string): CircuitBreakerPolicy;
  reset(name: string, key?: string): CircuitBreakerPolicy | KeyedCircuitBreakers {
    const target = this.target(name, key, false);
    target.reset();
    return target;
  }

  /** Snapshots of every shared breaker (per-key ones: `family(name).list()`), for health and metrics. */
  snapshots(): CircuitBreakerSnapshot[] {
    return this.list().map((breaker) => breaker.snapshot());
  }

  private registerFamily(name: string, overrides: CircuitBreakerOptions | undefined, source: string, claimed: boolean): KeyedCircuitBreakers {
    const options = { ...this.configured(name), ...overrides };
    const family = KeyedCircuitBreakers.fromOptions({ ...withNestClassifier(options), name, clock: this.options.clock, validationPath: source });
    const subscriptions = [
      family.onCreated((breaker) => this.keyedCreated.emit(breaker)),
      family.onRemoved(({ breaker }) => this.keyedRemoved.emit(breaker)),
    ];
    this.keyed.set(name, { family, overrides, source, claimed, subscriptions });
    this.familyCreated.emit(family);
    return family;
  }

  private dropFamily(name: string, record: FamilyRecord): void {
    record.family.clear();
    for (const subscription of record.subscriptions) subscription.dispose();
    this.keyed.delete(name);
  }

  private target(name: string, key: string | undefined, create: boolean): CircuitBreakerPolicy | KeyedCircuitBreakers {
    const family = this.keyed.get(name)?.family;
    if (key === undefined) {
      const target = family ?? this.get(name);
      if (target === undefined) throw new Error(`Unknown circuit breaker "${name}"`);
      return target;
    }
    if (family === undefined) {
      throw new Error(this.has(name) ? `Circuit breaker "${name}" is not per key` : `Unknown circuit breaker "${name}"`);
    }
    const breaker = create ? family.get(key) : family.peek(key);
    if (breaker === undefined) throw new Error(`Unknown key "${key}" of circuit breaker "${name}"`);
    return breaker;
  }
}

function sameOverrides(a: CircuitBreakerOptions, b: CircuitBreakerOptions): boolean {
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => {
    const va = (a as Record<string, unknown>)[key];
    const vb = (b as Record<string, unknown>)[key];
    return va === vb || (typeof va === 'object' && typeof vb === 'object' && JSON.stringify(va) === JSON.stringify(vb));
  });
}

/** Without an `isFailure` of the user's, client errors (a 404 the method threw on purpose) do not count against the dependency. */
function withNestClassifier(options: CircuitBreakerOptions): CircuitBreakerOptions {
  return options.isFailure === undefined ? { ...options, isFailure: isDependencyFailure } : options;
}
