import {
  CircuitBreakerPolicy,
  EventEmitter,
  KeyedCircuitBreakers,
  type CircuitBreakerOptions,
  type CircuitBreakerSnapshot,
  type Disposable,
  type Event,
} from '@bulwark/core';
import { Inject, Injectable, Optional } from '@nestjs/common';
import { isDeclaredKeyedCircuitBreaker } from '../decorators/keyed-circuit-breaker-names.js';
import { PolicyDeclarations } from '../discovery/policy-declarations.js';
import { isDependencyFailure } from '../errors/client-error.classifier.js';
import type { ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { RESILIENCE_OPTIONS } from '../resilience.constants.js';
import { PolicyRegistry, type PolicyShape } from './policy.registry.js';

/** A family of per-key breakers and how it came to be (to detect conflicting declarations). */
interface FamilyRecord {
  readonly family: KeyedCircuitBreakers;
  readonly shape: PolicyShape<CircuitBreakerOptions>;
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
  protected readonly kind = 'circuitBreaker';

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

  constructor(
    @Inject(RESILIENCE_OPTIONS) private readonly options: ResilienceModuleOptions,
    @Optional() @Inject(PolicyDeclarations) declarations?: PolicyDeclarations,
  ) {
    super(declarations);
    const names = Object.keys(options.circuitBreakers ?? {});
    this.createConfigured(names.filter((name) => !isDeclaredKeyedCircuitBreaker(name)), 'circuitBreakers');
    for (const name of names.filter(isDeclaredKeyedCircuitBreaker)) {
      const declared = this.declared(name);
      const source = declared?.source ?? `circuitBreakers.${name}`;
      this.registerFamily(name, declared?.options as CircuitBreakerOptions | undefined, source, source, false);
    }
  }

  isConfigured(name: string): boolean {
    return Object.hasOwn(this.options.circuitBreakers ?? {}, name);
  }

  protected base(): CircuitBreakerOptions {
    return { ...this.options.defaults?.circuitBreaker };
  }

  protected named(name: string): CircuitBreakerOptions | undefined {
    return this.isConfigured(name) ? this.options.circuitBreakers![name] : undefined;
  }

  protected build(name: string, options: CircuitBreakerOptions, path: string): CircuitBreakerPolicy {
    return new CircuitBreakerPolicy({ ...withNestClassifier(options), name, clock: this.options.clock, validationPath: path });
  }

  /** Throws if `name` is a family of per-key breakers: one name is one or the other. */
  override create(name: string, options?: CircuitBreakerOptions): CircuitBreakerPolicy {
    if (this.keyed.has(name)) throw new Error(`A circuit breaker named "${name}" already exists (per key)`);
    return super.create(name, options);
  }

  override getOrCreate(name: string, inline?: CircuitBreakerOptions, source = `circuit breaker "${name}"`): CircuitBreakerPolicy {
    const record = this.keyed.get(name);
    if (record !== undefined) {
      if (record.claimed) {
        throw new Error(
          `${source} uses circuit breaker "${name}" as one shared breaker, but ${record.shape.source} made it one breaker per key; ` +
            `give one of them another name.`,
        );
      }
      // Built per key from the configuration only because a class of another application declares
      // the name per key: here it is one shared breaker.
      this.dropFamily(name, record);
    }
    return super.getOrCreate(name, inline, source);
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
   * key its breaker). `options` override the defaults, and bound it (`maxKeys`, `keyIdleTimeout`).
   * Throws if the name is taken.
   */
  createFamily(name: string, options?: CircuitBreakerOptions): KeyedCircuitBreakers {
    if (this.has(name) || this.keyed.has(name)) throw new Error(`A circuit breaker named "${name}" already exists`);
    return this.registerFamily(name, options, `circuit breaker "${name}"`, `CircuitBreakerRegistry.createFamily('${name}')`, true);
  }

  /**
   * The family named `name`, created on first use (decorated methods call this at start-up).
   * Throws if the name is one shared breaker, or if options given now would change it.
   */
  getOrCreateFamily(name: string, inline?: CircuitBreakerOptions, source = `circuit breaker "${name}"`): KeyedCircuitBreakers {
    if (this.has(name)) {
      throw new Error(
        `${source} uses circuit breaker "${name}" per key, but it is already one shared breaker; give the per-key one another name.`,
      );
    }
    const record = this.keyed.get(name);
    if (record === undefined) {
      const declared = inline === undefined ? this.declared(name) : undefined;
      if (declared !== undefined) return this.registerFamily(name, declared.options as CircuitBreakerOptions, declared.source, declared.source, true);
      return this.registerFamily(name, inline, source, source, true);
    }
    if (inline !== undefined) this.checkInline(name, record.shape, inline, source);
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

  private registerFamily(
    name: string,
    inline: CircuitBreakerOptions | undefined,
    path: string,
    source: string,
    claimed: boolean,
  ): KeyedCircuitBreakers {
    const options = this.merge(name, inline);
    const family = KeyedCircuitBreakers.fromOptions({ ...withNestClassifier(options), name, clock: this.options.clock, validationPath: path });
    const subscriptions = [
      family.onCreated((breaker) => this.keyedCreated.emit(breaker)),
      family.onRemoved(({ breaker }) => this.keyedRemoved.emit(breaker)),
    ];
    this.keyed.set(name, { family, shape: { inline, source }, claimed, subscriptions });
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

/** Without an `isFailure` of the user's, client errors (a 404 the method threw on purpose) do not count against the dependency. */
function withNestClassifier(options: CircuitBreakerOptions): CircuitBreakerOptions {
  return options.isFailure === undefined ? { ...options, isFailure: isDependencyFailure } : options;
}
