import { systemClock, type Clock } from '../clock/clock.js';
import { CircuitOpenError } from '../errors/circuit-open.error.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { createWithoutStack } from '../errors/resilience.error.js';
import { EventEmitter, type Disposable, type Event } from '../events/event-emitter.js';
import { MAX_KEYS, MAX_TIMER_DELAY_MS } from '../validation/option-limits.js';
import { checkAtMost, checkBoolean, checkFunction, checkObject, checkPositiveInteger } from '../validation/option-validators.js';
import { DEFAULT_CIRCUIT_BREAKER_OPTIONS, validateCircuitBreakerOptions, type CircuitBreakerState } from './circuit-breaker.options.js';
import type { CallDurationHistogram } from './call-duration.histogram.js';
import type { CircuitBreakerCallCounts } from './circuit-breaker-snapshot.interface.js';
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
  /** The longest key accepted, in characters; a longer one is refused (`RangeError`). Default 256. */
  readonly maxKeyLength?: number;
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

/** How many of the least recently used entries of a tier are looked at for room: bounded work per new key. */
const ROOM_SCAN = 16;

/** The least recently used entry of `list` (among the last `ROOM_SCAN`) that `fits`. */
function leastRecent(list: RecencyList<KeyEntry>, fits: (entry: KeyEntry) => boolean): KeyEntry | undefined {
  let looked = 0;
  for (let entry = list.tail; entry !== undefined && looked < ROOM_SCAN; entry = entry.prev, looked++) if (fits(entry)) return entry;
  return undefined;
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
 * a key's breaker on first use. Keys often come from clients (a tenant header, an account id), so
 * everything is bounded, without any timer:
 * - a key longer than `maxKeyLength` (256) is refused with a `RangeError`, never stored;
 * - at most `maxKeys` keys. A new key takes the place of the least recently used closed breaker;
 *   when none is closed, of a breaker whose open period is over (half-open, or open and due a
 *   trial) or one disabled by hand, among the least recently used. A breaker still open (or forced
 *   open) is never dropped for room, since its key would then go straight through to the failing
 *   dependency: when every slot holds one, the new key is refused with a `CircuitOpenError`
 *   (`retryAfterMs`: until the first of them can go) and counted in `refusedKeys`;
 * - a closed breaker unused for `idleTimeoutMs` is dropped, checked lazily when a call comes (only
 *   the least recently used entries are looked at: O(1) amortised). An open or half-open breaker is
 *   kept until it has also been unused for its longest open period; one forced open or disabled by
 *   hand is never dropped for idleness.
 * Reading (`list`, `keys`, `state`, `peek`) changes nothing. Any state change counts as a use.
 * `forceOpen`, `disable` and `reset` apply to every key, and the first two also to keys created
 * afterwards, until `reset`. The counts of dropped keys are kept (`retiredCalls`), so the family's
 * totals never go down.
 */
export class KeyedCircuitBreakers {
  readonly name: string;
  readonly maxKeys: number;
  readonly maxKeyLength: number;
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
  private refused = 0;
  private readonly retired = { success: 0, failure: 0, ignored: 0, notPermitted: 0, slow: 0 };
  private retiredDurations: { boundsMs: readonly number[]; counts: number[]; count: number; sumMs: number } | undefined = undefined;

  constructor(options: KeyedCircuitBreakersOptions) {
    checkObject('keyedCircuitBreakers', options);
    const name = options?.name;
    if (typeof name !== 'string' || name.length === 0) throw new InvalidOptionsError('keyedCircuitBreakers.name', 'must be a non-empty string', name);
    const path = `keyedCircuitBreakers.${name}`;
    checkFunction(`${path}.create`, options.create);
    if (options.create === undefined) throw new InvalidOptionsError(`${path}.create`, 'is required', undefined);
    checkPositiveInteger(`${path}.maxKeys`, options.maxKeys);
    checkPositiveInteger(`${path}.maxKeyLength`, options.maxKeyLength);
    checkAtMost(`${path}.maxKeys`, options.maxKeys, MAX_KEYS, ' (each key keeps a breaker in memory)');
    checkPositiveInteger(`${path}.idleTimeoutMs`, options.idleTimeoutMs);
    checkAtMost(`${path}.idleTimeoutMs`, options.idleTimeoutMs, MAX_TIMER_DELAY_MS, ' ms (the longest timer delay)');
    checkBoolean(`${path}.critical`, options.critical);
    this.name = name;
    this.factory = options.create;
    this.maxKeys = options.maxKeys ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.maxKeys;
    this.maxKeyLength = options.maxKeyLength ?? DEFAULT_CIRCUIT_BREAKER_OPTIONS.maxKeyLength;
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
      maxKeyLength: options.maxKeyLength,
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

  /** New keys refused because every slot held a breaker still open (see the class comment). */
  get refusedKeys(): number {
    return this.refused;
  }

  /** Calls of the breakers dropped from the family so far, by outcome (added to the live ones, totals never go down). */
  get retiredCalls(): CircuitBreakerCallCounts {
    return { ...this.retired };
  }

  /** Call durations of the breakers dropped so far, summed (undefined while none kept one). */
  get retiredDurationHistogram(): CallDurationHistogram | undefined {
    const retired = this.retiredDurations;
    return retired === undefined ? undefined : { boundsMs: retired.boundsMs, counts: [...retired.counts], count: retired.count, sumMs: retired.sumMs };
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

  /** Every breaker held, in key creation order. */
  list(): CircuitBreakerPolicy[] {
    const breakers: CircuitBreakerPolicy[] = [];
    for (const entry of this.entries.values()) breakers.push(entry.breaker);
    return breakers;
  }

  /** Every key held, in creation order. */
  keys(): string[] {
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
    if (key.length > this.maxKeyLength) {
      throw new RangeError(`Circuit breaker family "${this.name}": a key may be at most ${this.maxKeyLength} characters (got ${key.length})`);
    }
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
      const victim = this.roomFor(now);
      if (victim === undefined) {
        this.refused++;
        throw this.full(now);
      }
      this.remove(victim, 'max-keys');
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

  /**
   * The entry a new key may replace: the least recently used closed one, else, among the least
   * recently used, one whose open period is over or one disabled by hand. Undefined when every
   * slot looked at holds a breaker still open.
   */
  private roomFor(now: number): KeyEntry | undefined {
    const [closed, tripped, held] = this.tiers;
    if (closed.tail !== undefined) return closed.tail;
    return (
      leastRecent(tripped, (entry) => entry.breaker.refusesFor(now) === 0) ?? leastRecent(held, (entry) => entry.breaker.state === 'disabled')
    );
  }

  /** Why a new key is refused: every slot is held open; retry when the first of those looked at can go. */
  private full(now: number): CircuitOpenError {
    let retryAfter = Infinity;
    let looked = 0;
    for (let entry = this.tiers[Tier.Tripped].tail; entry !== undefined && looked < ROOM_SCAN; entry = entry.prev, looked++) {
      retryAfter = Math.min(retryAfter, entry.breaker.refusesFor(now));
    }
    const retryAfterMs = Number.isFinite(retryAfter) ? Math.ceil(retryAfter) : Infinity;
    return createWithoutStack(() => new CircuitOpenError(this.name, retryAfterMs, `full (every one of its ${this.maxKeys} keys is open)`));
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
    this.retire(entry.breaker);
    this.entries.delete(entry.key);
    entry.list?.remove(entry);
    entry.subscription?.dispose();
    entry.slots = [];
    if (this.removed.hasListeners) this.removed.emit({ name: this.name, key: entry.key, breaker: entry.breaker, reason });
  }

  /** Keeps a dropped breaker's counts in the family's totals. */
  private retire(breaker: CircuitBreakerPolicy): void {
    const calls = breaker.snapshot().calls;
    const retired = this.retired;
    retired.success += calls.success;
    retired.failure += calls.failure;
    retired.ignored += calls.ignored;
    retired.notPermitted += calls.notPermitted;
    retired.slow += calls.slow;
    const histogram = breaker.durationHistogram;
    if (histogram === undefined) return;
    let durations = this.retiredDurations;
    if (durations === undefined) {
      durations = { boundsMs: histogram.boundsMs, counts: histogram.counts.map(() => 0), count: 0, sumMs: 0 };
      this.retiredDurations = durations;
    }
    if (durations.counts.length !== histogram.counts.length) return;
    for (let i = 0; i < histogram.counts.length; i++) durations.counts[i]! += histogram.counts[i]!;
    durations.count += histogram.count;
    durations.sumMs += histogram.sumMs;
  }

  private snapshotBreakers(): CircuitBreakerPolicy[] {
    return [...this.entries.values()].map((entry) => entry.breaker);
  }
}
