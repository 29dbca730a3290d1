import { systemClock, type Clock } from '../clock/clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { EventEmitter, type Disposable, type Event } from '../events/event-emitter.js';
import { MAX_KEYS, MAX_TIMER_DELAY_MS } from '../validation/option-limits.js';
import { checkAtMost, checkBoolean, checkFunction, checkObject, checkPositiveInteger } from '../validation/option-validators.js';
import { DEFAULT_CIRCUIT_BREAKER_OPTIONS, validateCircuitBreakerOptions, type CircuitBreakerState } from './circuit-breaker.options.js';
import { CircuitBreakerPolicy, type CircuitBreakerPolicyOptions } from './circuit-breaker.policy.js';
import { RecencyList, type RecencyNode } from './recency-list.js';

/** Why a key's breaker left its family: `max-keys` (room for a new key), `idle`, or `deleted` by hand. */
export type KeyedCircuitBreakerRemovalReason = 'max-keys' | 'idle' | 'deleted';

/** A key's breaker removed from its family (a shared store detaches it on this). */
export interface KeyedCircuitBreakerRemoval {
  readonly name: string;
  readonly key: string;
  readonly breaker: CircuitBreakerPolicy;
  readonly reason: KeyedCircuitBreakerRemovalReason;
}

export interface KeyedCircuitBreakersOptions {
  /** The family's name; every breaker of it carries it, with its own `key`. */
  readonly name: string;
  /** Builds the breaker of a key, with `{ name, key }` (checked). Called once per key. */
  readonly create: (key: string) => CircuitBreakerPolicy;
  /** Keys kept at most (least recently used evicted first). Default 1000. */
  readonly maxKeys?: number;
  /** A closed breaker unused this long (ms) is dropped, lazily. Default 600 000. */
  readonly idleTimeoutMs?: number;
  /** Time source of the idle timeout. Default `systemClock`. */
  readonly clock?: Clock;
  /** Whether the family is critical to health (an open key takes it `down`), as its breakers' option. Default false. */
  readonly critical?: boolean;
  /** Whether its breakers judge returned values (`isFailureResult`), as `ResiliencePolicy.inspectsResults`. Default false. */
  readonly inspectsResults?: boolean;
}

/** Severity of each state in a family's aggregate: `disabled` only when every key is. */
const SEVERITY: Readonly<Record<CircuitBreakerState, number>> = {
  disabled: 0,
  closed: 1,
  'half-open': 2,
  open: 3,
  'forced-open': 4,
};

/**
 * The state summing up several breakers (one per key of a family): the most severe, in the order
 * forced-open > open > half-open > closed > disabled. `empty` when there are none.
 */
export function mostSevereState(states: Iterable<CircuitBreakerState>, empty: CircuitBreakerState = 'closed'): CircuitBreakerState {
  let worst: CircuitBreakerState | undefined;
  for (const state of states) {
    if (worst === undefined || SEVERITY[state] > SEVERITY[worst]) worst = state;
  }
  return worst ?? empty;
}

/**
 * Which list a key's entry sits in, by its breaker's state: closed ones go first when room is
 * needed and when idle; tripped ones (open, half-open) are kept while the failing key would still
 * be refused; held ones (forced open, disabled by hand) are never dropped for idleness.
 */
const enum Tier {
  Closed = 0,
  Tripped = 1,
  Held = 2,
}

function tierOf(state: CircuitBreakerState): Tier {
  if (state === 'closed') return Tier.Closed;
  return state === 'open' || state === 'half-open' ? Tier.Tripped : Tier.Held;
}

/** One key's breaker, linked into the list of its tier by recency. */
class KeyEntry implements RecencyNode<KeyEntry> {
  prev: KeyEntry | undefined = undefined;
  next: KeyEntry | undefined = undefined;
  list: RecencyList<KeyEntry> | undefined = undefined;
  /** What `derive` lookups built around this breaker, by lookup. */
  slots: unknown[] = [];
  subscription: Disposable | undefined = undefined;

  constructor(
    readonly key: string,
    readonly breaker: CircuitBreakerPolicy,
    /** How long a tripped breaker is kept unused: the idle timeout, but never less than its open period. */
    readonly trippedIdleMs: number,
    public lastUsed: number,
  ) {}
}

/**
 * One circuit breaker per key (per tenant, per partner account) under one name: `get(key)` creates
 * a key's breaker on first use. Memory is bounded without any timer:
 * - at most `maxKeys` keys: a new key evicts the least recently used closed breaker, or, when
 *   none is closed, the least recently used open one, then one forced open or disabled;
 * - a closed breaker unused for `idleTimeoutMs` is dropped, checked lazily on `get` and `list`
 *   (only the least recently used entries are looked at: O(1) amortised). An open or half-open
 *   breaker is kept until it has also been unused for its longest open period (`recoveryTimeout`,
 *   or `recoveryBackoff.maxRecoveryTimeout`) (dropping it earlier
 *   would let the failing key straight through again); one forced open or disabled by hand is
 *   never dropped for idleness.
 * Any state change counts as a use. `forceOpen`, `disable` and `reset` apply to every key, and
 * the first two also to keys created afterwards, until `reset`.
 */
export class KeyedCircuitBreakers {
  readonly name: string;
  readonly maxKeys: number;
  readonly idleTimeoutMs: number;
  /** Reported in health: an open or forced-open key of a critical family takes the status `down`. */
  readonly critical: boolean;
  /** Whether its breakers judge returned values (`isFailureResult`). */
  readonly inspectsResults: boolean;

  private readonly created = new EventEmitter<CircuitBreakerPolicy>();
  private readonly removed = new EventEmitter<KeyedCircuitBreakerRemoval>();
  /** Fires for each key's breaker once created (before the call that created it runs). */
  readonly onCreated: Event<CircuitBreakerPolicy> = this.created.event;
  /** Fires for each key's breaker dropped (evicted, or deleted by hand). */
  readonly onRemoved: Event<KeyedCircuitBreakerRemoval> = this.removed.event;

  private readonly entries = new Map<string, KeyEntry>();
  private readonly tiers: readonly [RecencyList<KeyEntry>, RecencyList<KeyEntry>, RecencyList<KeyEntry>] = [
    new RecencyList<KeyEntry>(),
    new RecencyList<KeyEntry>(),
    new RecencyList<KeyEntry>(),
  ];
  private readonly factory: (key: string) => CircuitBreakerPolicy;
  private readonly clock: Clock;
  private manual: 'forced-open' | 'disabled' | undefined = undefined;
  private derivations = 0;

  constructor(options: KeyedCircuitBreakersOptions) {
    checkObject('keyedCircuitBreakers', options);
    const name = options?.name;
    if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionsError('keyedCircuitBreakers.name', 'must be a non-empty string', name);
    const path = `keyedCircuitBreakers.${name}`;
    checkFunction(`${path}.create`, options.create);
    if (options.create === undefined) throw new InvalidOptionsError(`${path}.create`, 'is required', undefined);
    checkPositiveInteger(`${path}.maxKeys`, options.maxKeys);
    checkAtMost(`${path}.maxKeys`, options.maxKeys, MAX_KEYS, ' (each key keeps a breaker in memory)');
    checkPositiveInteger(`${path}.idleTimeoutMs`, options.idleTimeoutMs);
    checkAtMost(`${path}.idleTimeoutMs`, options.idleTimeoutMs, MAX_TIMER_DELAY_MS, ' ms (the longest timer delay)');
    checkBoolean(`${path}.critical`, options.critical);
    this.name = name;
    this.factory = options.create;
    this.maxKeys = options.maxKeys ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.maxKeys;
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.keyIdleTimeout;
    this.clock = options.clock ?? systemClock;
    this.critical = options.critical === true;
    this.inspectsResults = options.inspectsResults === true;
  }

  /**
   * A family whose breakers all take `options` (validated now, so bad options fail at start-up,
   * not at a key's first call), bounded by its `maxKeys` and `keyIdleTimeout`.
   */
  static fromOptions(options: CircuitBreakerPolicyOptions & { name: string }): KeyedCircuitBreakers {
    const path = options?.validationPath ?? options?.name ?? 'circuitBreaker';
    validateCircuitBreakerOptions(options, path);
    if (options.key !== undefined) throw new InvalidOptionsError(`${path}.key`, 'is given per key by the family', options.key);
    const breakerOptions = { ...options };
    return new KeyedCircuitBreakers({
      name: options.name,
      create: (key) => new CircuitBreakerPolicy({ ...breakerOptions, key }),
      maxKeys: options.maxKeys,
      idleTimeoutMs: options.keyIdleTimeout,
      clock: options.clock,
      critical: options.critical,
      inspectsResults: options.isFailureResult !== undefined,
    });
  }

  /** Keys held now. */
  get size(): number {
    return this.entries.size;
  }

  /** The breaker of `key`, created on first use; marks the key used. */
  get(key: string): CircuitBreakerPolicy {
    return this.touch(key).breaker;
  }

  /** The breaker of `key` if held, without marking it used or creating it. */
  peek(key: string): CircuitBreakerPolicy | undefined {
    return this.entries.get(key)?.breaker;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Drops the breaker of `key` (reason `deleted`); false when it was not held. */
  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.remove(entry, 'deleted');
    return true;
  }

  /** Drops every key (reason `deleted`). */
  clear(): void {
    for (const entry of [...this.entries.values()]) this.remove(entry, 'deleted');
  }

  /** Every breaker held, in key creation order (idle ones are dropped first). */
  list(): CircuitBreakerPolicy[] {
    this.evictIdle(this.clock.now());
    const breakers: CircuitBreakerPolicy[] = [];
    for (const entry of this.entries.values()) breakers.push(entry.breaker);
    return breakers;
  }

  /** Every key held, in creation order (idle ones are dropped first). */
  keys(): string[] {
    this.evictIdle(this.clock.now());
    return [...this.entries.keys()];
  }

  /** `forced-open` or `disabled` while the whole family is (see `forceOpen`, `disable`), else undefined. */
  get manualState(): 'forced-open' | 'disabled' | undefined {
    return this.manual;
  }

  /**
   * The most severe state among the keys (forced-open > open > half-open > closed; disabled only
   * when every key is). Without keys: the family's manual state, else closed.
   */
  get state(): CircuitBreakerState {
    const states: CircuitBreakerState[] = [];
    for (const entry of this.entries.values()) states.push(entry.breaker.state);
    return mostSevereState(states, this.manual ?? 'closed');
  }

  /** Forces every key's breaker open, and each new key's, until `reset()`. */
  forceOpen(): void {
    this.manual = 'forced-open';
    for (const breaker of this.snapshotBreakers()) breaker.forceOpen();
  }

  /** Disables every key's breaker, and each new key's, until `reset()`. */
  disable(): void {
    this.manual = 'disabled';
    for (const breaker of this.snapshotBreakers()) breaker.disable();
  }

  /** Closes every key's breaker with cleared counts; new keys start closed again. */
  reset(): void {
    this.manual = undefined;
    for (const breaker of this.snapshotBreakers()) breaker.reset();
  }

  /**
   * For frameworks that build something around each key's breaker (a composed pipeline): returns
   * a lookup that marks `key` used like `get` and answers what `build` made for its breaker, built
   * on the key's first lookup and dropped with the breaker. One Map read per call.
   */
  derive<T extends object>(build: (breaker: CircuitBreakerPolicy, key: string) => T): (key: string) => T {
    const slot = this.derivations++;
    return (key) => {
      const entry = this.touch(key);
      const built = entry.slots[slot] as T | undefined;
      if (built !== undefined) return built;
      const value = build(entry.breaker, key);
      // The build may have dropped the entry (a listener evicting keys): then it is not cached.
      if (entry.list !== undefined) entry.slots[slot] = value;
      return value;
    };
  }

  private touch(key: string): KeyEntry {
    if (typeof key !== 'string') throw new TypeError(`Circuit breaker family "${this.name}": a key must be a string (got ${typeof key})`);
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry === undefined) return this.create(key, now);
    entry.lastUsed = now;
    entry.list!.toFront(entry);
    this.evictIdle(now);
    return entry;
  }

  private create(key: string, now: number): KeyEntry {
    this.evictIdle(now);
    if (this.entries.size >= this.maxKeys) {
      const [closed, tripped, held] = this.tiers;
      this.remove((closed.tail ?? tripped.tail ?? held.tail)!, 'max-keys');
    }
    const breaker = this.factory(key);
    if (!(breaker instanceof CircuitBreakerPolicy) || breaker.name !== this.name || breaker.key !== key) {
      throw new TypeError(`Circuit breaker family "${this.name}": create(key) must return a CircuitBreakerPolicy built with { name: "${this.name}", key }`);
    }
    if (this.manual === 'forced-open') breaker.forceOpen();
    else if (this.manual === 'disabled') breaker.disable();
    const longestOpen = breaker.options.recoveryBackoff?.maxRecoveryTimeout ?? breaker.options.recoveryTimeout;
    const entry = new KeyEntry(key, breaker, Math.max(this.idleTimeoutMs, longestOpen), now);
    this.entries.set(key, entry);
    this.tiers[tierOf(breaker.state)].unshift(entry);
    entry.subscription = breaker.onStateChange((change) => this.moved(entry, change.to));
    if (this.created.hasListeners) this.created.emit(breaker);
    return entry;
  }

  /** A state change: the entry moves to its new tier, as its most recently used entry. */
  private moved(entry: KeyEntry, to: CircuitBreakerState): void {
    const from = entry.list;
    if (from === undefined) return;
    entry.lastUsed = this.clock.now();
    from.remove(entry);
    this.tiers[tierOf(to)].unshift(entry);
  }

  /** Drops idle closed entries and expired tripped ones, from the least recently used end. */
  private evictIdle(now: number): void {
    const [closed, tripped] = this.tiers;
    const idle = this.idleTimeoutMs;
    for (let entry = closed.tail; entry !== undefined && now - entry.lastUsed >= idle; entry = closed.tail) this.remove(entry, 'idle');
    for (let entry = tripped.tail; entry !== undefined && now - entry.lastUsed >= entry.trippedIdleMs; entry = tripped.tail) {
      this.remove(entry, 'idle');
    }
  }

  private remove(entry: KeyEntry, reason: KeyedCircuitBreakerRemovalReason): void {
    this.entries.delete(entry.key);
    entry.list?.remove(entry);
    entry.subscription?.dispose();
    entry.slots = [];
    if (this.removed.hasListeners) this.removed.emit({ name: this.name, key: entry.key, breaker: entry.breaker, reason });
  }

  private snapshotBreakers(): CircuitBreakerPolicy[] {
    return [...this.entries.values()].map((entry) => entry.breaker);
  }
}
