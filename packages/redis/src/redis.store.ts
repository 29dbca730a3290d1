import type { CircuitBreakerPolicy, CircuitBreakerState, CircuitBreakerStateChange, ResilienceStore, RetryBudget } from '@bulwark/core';
import type { Redis } from 'ioredis';
import { ACQUIRE_TRIAL, READ_STATE, RECORD_OUTCOMES, TRANSITION } from './lua/breaker.scripts.js';
import { SYNC_RETRY_BUDGET } from './lua/retry-budget.script.js';
import { ScriptRunner, type ScriptCall } from './lua/script-runner.js';
import { RedisBreakerSync, type BreakerSyncHost } from './redis-breaker.sync.js';
import { RedisLink } from './redis-link.js';
import { RedisRetryBudget, type RetryBudgetHost } from './redis-retry-budget.js';
import { resolveRedisStoreOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from './redis-store.options.js';

/** A cluster state as scripts answer it: state, ms since it opened, generation, re-opens in a row. */
type Answer = [state: string, ageMs: number, gen: number, reopens?: number];

/** Published on the channel by the scripts for every cluster transition. */
interface TransitionMessage {
  id: string;
  state: string;
  ageMs: number;
  gen: number;
  reopens?: number;
  origin: string;
}

/** How long a replica refused the trial lease waits before asking again (ms). */
const TRIAL_RECHECK_MS = 100;

/**
 * Shares circuit-breaker state across replicas through Redis (see the package README):
 * - every breaker keeps its local state machine, so no call ever waits on Redis;
 * - outcomes of calls admitted while closed are batched (failures sent at once, successes every
 *   `flushIntervalMs`) to a Lua script that counts them cluster-wide and opens the cluster
 *   breaker, publishing the transition, when the threshold is crossed;
 * - every replica applies published transitions (`applyRemote`), dated so all half-open together;
 * - after the recovery timeout only the replica holding the trial lease runs the half-open round;
 *   its verdict (and any admin transition) is published the same way;
 * - every Redis call has a short timeout and the store's own breaker: when Redis is down the store
 *   is local-only (logged once), and it re-reads every breaker's cluster state when Redis is back.
 */
export class RedisStore implements ResilienceStore, BreakerSyncHost, RetryBudgetHost {
  readonly options: ResolvedRedisStoreOptions;
  /** This replica's id in leases and messages. */
  readonly origin = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  readonly channel: string;
  /** The store's guard around Redis (timeout + breaker); exposed for health and tests. */
  readonly link: RedisLink;

  private readonly client: Redis;
  private readonly scripts: ScriptRunner;
  private readonly syncs = new Map<string, RedisBreakerSync>();
  private readonly budgets = new Map<string, RedisRetryBudget>();
  private subscriber: Redis | undefined = undefined;
  private closed = false;

  private dirty: RedisBreakerSync[] = [];
  private dirtyBudgets: RedisRetryBudget[] = [];
  private pendingOutcomes = 0;
  private flushing = false;
  private again = false;
  private againUrgent = false;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  /** Set while Redis is believed down, so the outage is logged once. */
  private localOnly = false;
  /** While local-only: tries Redis again (an idle store has no batch to try it with). */
  private probeTimer: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(options: RedisStoreOptions) {
    this.options = resolveRedisStoreOptions(options);
    this.client = this.options.client;
    this.channel = `${this.options.prefix}:cb:events`;
    this.scripts = new ScriptRunner(this.client);
    this.link = new RedisLink(
      { commandTimeoutMs: this.options.commandTimeoutMs, failureThreshold: this.options.redisFailureThreshold, recoveryTimeout: this.options.redisRecoveryTimeout },
      { down: () => this.wentDown(), up: () => this.cameBack() },
    );
    this.subscribe();
  }

  attachCircuitBreaker(breaker: CircuitBreakerPolicy): void {
    if (this.closed) return;
    const id = breakerId(breaker.name, breaker.key);
    if (this.syncs.has(id)) throw new Error(`Circuit breaker "${describe(breaker)}" is already attached to this Redis store`);
    const hash = `${this.options.prefix}:cb:${id}`;
    const sync = new RedisBreakerSync(breaker, id, hash, `${hash}:trial`, this);
    breaker.attachSync(sync);
    sync.subscription = breaker.onStateChange((change) => this.localTransition(sync, change));
    this.syncs.set(id, sync);
    // A replica joining an open cluster starts open.
    this.requestRead(sync);
  }

  detachCircuitBreaker(breaker: CircuitBreakerPolicy): void {
    const id = breakerId(breaker.name, breaker.key);
    const sync = this.syncs.get(id);
    if (sync === undefined || sync.breaker !== breaker) return;
    this.syncs.delete(id);
    sync.subscription?.dispose();
    breaker.detachSync(sync);
  }

  retryBudget(name: string): RetryBudget | undefined {
    const options = this.options.retryBudget;
    if (options === undefined) return undefined;
    let budget = this.budgets.get(name);
    if (budget === undefined) {
      budget = new RedisRetryBudget(name, `${this.options.prefix}:rb:${encodeURIComponent(name)}`, options, this);
      this.budgets.set(name, budget);
    }
    return budget;
  }

  /** The attached breakers' cluster ids (tests, diagnostics). */
  attachedIds(): string[] {
    return [...this.syncs.keys()];
  }

  /** Whether the store currently syncs through Redis (false: local-only). */
  get connected(): boolean {
    return !this.localOnly && this.link.available;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    this.stopProbing();
    this.timer = undefined;
    this.immediate = undefined;
    for (const sync of [...this.syncs.values()]) this.detachCircuitBreaker(sync.breaker);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    if (subscriber === undefined) return;
    if (subscriber.status !== 'connecting' && subscriber.status !== 'connect') {
      subscriber.disconnect();
      return;
    }
    // A bare disconnect of a connection still being set up holds the process for seconds; QUIT
    // lets it finish, bounded by the command timeout when Redis does not answer.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const quit = subscriber.quit().then(
      () => true,
      () => false,
    );
    const done = await Promise.race([quit, new Promise<boolean>((resolve) => (timer = setTimeout(resolve, this.options.commandTimeoutMs, false)))]);
    clearTimeout(timer);
    if (!done) subscriber.disconnect();
  }

  // --- hot path hooks (field updates and at most one timer per batch) ---

  outcomeRecorded(sync: RedisBreakerSync, urgent: boolean): void {
    if (!sync.queued) {
      sync.queued = true;
      this.dirty.push(sync);
    }
    this.schedule(urgent || ++this.pendingOutcomes >= this.options.flushMaxOutcomes);
  }

  budgetChanged(budget: RedisRetryBudget): void {
    budget.queued = true;
    this.dirtyBudgets.push(budget);
    this.schedule(false);
  }

  acquireTrial(sync: RedisBreakerSync): boolean {
    if (sync.trial === 'granted') {
      sync.trial = 'none';
      sync.holdsLease = sync.trialFromLease;
      return true;
    }
    // Local-only: the breaker runs its own half-open round, as without a store.
    if (!this.connected) return true;
    if (sync.trial === 'pending') return false;
    if (sync.breaker.clock.now() < sync.trialCheckAfter) return false;
    sync.trial = 'pending';
    void this.requestTrial(sync);
    return false;
  }

  // --- batches ---

  private schedule(urgent: boolean): void {
    if (this.closed) return;
    if (this.flushing) {
      this.again = true;
      if (urgent) this.againUrgent = true;
      return;
    }
    if (urgent) {
      if (this.immediate === undefined) this.immediate = setImmediate(this.flushNow);
      return;
    }
    if (this.timer === undefined && this.immediate === undefined) {
      this.timer = setTimeout(this.flushNow, this.options.flushIntervalMs);
      this.timer.unref();
    }
  }

  private readonly flushNow = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = undefined;
    void this.flush();
  };

  /** Sends every queued batch, read and budget in one pipeline, and applies the answers. */
  private async flush(): Promise<void> {
    const syncs = this.dirty;
    const budgets = this.dirtyBudgets;
    this.dirty = [];
    this.dirtyBudgets = [];
    this.pendingOutcomes = 0;
    const calls: ScriptCall[] = [];
    const targets: Array<{ sync: RedisBreakerSync; authoritative: boolean } | RedisRetryBudget> = [];
    for (const sync of syncs) {
      sync.queued = false;
      if (sync.readDue) {
        sync.readDue = false;
        calls.push({ script: READ_STATE, keys: [sync.hash], args: [] });
        targets.push({ sync, authoritative: true });
      }
      if (!sync.hasCounts) continue;
      const counts = sync.takeCounts();
      calls.push({ script: RECORD_OUTCOMES, keys: [sync.hash], args: [this.channel, sync.id, this.origin, this.keyTtl(sync), ...this.recordArgs(sync, counts)] });
      targets.push({ sync, authoritative: false });
    }
    for (const budget of budgets) {
      budget.queued = false;
      const { calls: made, retries } = budget.local.drain();
      if (made + retries === 0) continue;
      const { ratio, minRetriesPerSecond, maxTokens } = budget.local;
      calls.push({
        script: SYNC_RETRY_BUDGET,
        keys: [budget.hash],
        args: [made, retries, ratio, minRetriesPerSecond, maxTokens, this.options.keyTtlMs],
      });
      targets.push(budget);
    }
    if (calls.length === 0) return;
    // Local-only: outcomes are the local breakers' business until Redis is back (then a resync).
    if (!this.link.available) return;
    this.flushing = true;
    try {
      const answers = await this.link.run(() => this.scripts.batch(calls));
      if (this.closed) return;
      answers.forEach((answer, i) => {
        const target = targets[i]!;
        if (target instanceof RedisRetryBudget) target.synced(Number(answer));
        else this.applyAnswer(target.sync, answer as Answer, target.authoritative);
      });
    } catch {
      // Redis failed or timed out: the link's breaker counted it; reads are asked again on resync.
    } finally {
      this.flushing = false;
      if (this.again) {
        const urgent = this.againUrgent;
        this.again = false;
        this.againUrgent = false;
        this.schedule(urgent);
      }
    }
  }

  /** One script call through the link (timeout + breaker), its answer. */
  private async runScript(call: ScriptCall): Promise<unknown> {
    const [answer] = await this.link.run(() => this.scripts.batch([call]));
    return answer;
  }

  /** How long a breaker's keys live in Redis without news: `keyTtlMs`, at least twice its longest open period. */
  private keyTtl(sync: RedisBreakerSync): number {
    const { recoveryTimeout, recoveryBackoff } = sync.breaker.options;
    return Math.max(this.options.keyTtlMs, 2 * (recoveryBackoff?.maxRecoveryTimeout ?? recoveryTimeout));
  }

  /** A batch of outcomes and the mode and thresholds the script judges them with. */
  private recordArgs(
    sync: RedisBreakerSync,
    counts: { successes: number; failures: number; slow: number; trailingFailures: number; hadSuccess: boolean },
  ): Array<string | number> {
    const options = sync.breaker.options;
    const window = options.window;
    const windowMs = window === undefined ? 0 : window.type === 'time' ? window.durationMs : this.options.countWindowAsTimeMs;
    const bucketMs = Math.max(100, Math.floor(windowMs / 10));
    return [
      window === undefined ? 'consecutive' : 'rate',
      counts.successes,
      counts.failures,
      counts.slow,
      counts.trailingFailures,
      counts.hadSuccess ? 1 : 0,
      options.failureThreshold,
      windowMs,
      bucketMs,
      options.minimumCalls,
      options.failureRateThreshold,
      options.slowCallRateThreshold,
    ];
  }

  private requestRead(sync: RedisBreakerSync): void {
    sync.readDue = true;
    sync.gen = -1;
    if (!sync.queued) {
      sync.queued = true;
      this.dirty.push(sync);
    }
    this.schedule(true);
  }

  // --- transitions ---

  /**
   * Asks for the trial lease; the answer is taken by the breaker's next call. The script judges
   * the open period from the cluster's own count of re-opens (with `recoveryBackoff`); the lease
   * lasts one `recoveryTimeout`, as a half-open round does before it is abandoned.
   */
  private async requestTrial(sync: RedisBreakerSync): Promise<void> {
    const { recoveryTimeout, recoveryBackoff } = sync.breaker.options;
    const growth = recoveryBackoff === undefined ? [] : [recoveryBackoff.multiplier, recoveryBackoff.maxRecoveryTimeout];
    try {
      const answer = await this.runScript({
        script: ACQUIRE_TRIAL,
        keys: [sync.hash, sync.lease],
        args: [this.origin, recoveryTimeout, recoveryTimeout, this.keyTtl(sync), ...growth],
      });
      const [granted, state, ageMs, gen, reopens] = answer as [number, string, number, number, number | undefined];
      if (granted === 1) {
        sync.trial = 'granted';
        sync.trialFromLease = true;
        return;
      }
      if (state === 'open' || state === 'forced-open') {
        // Someone else runs the round (or Redis' clock says not yet): keep failing fast.
        this.applyAnswer(sync, [state, ageMs, gen, reopens], false);
        sync.trial = 'none';
        sync.trialCheckAfter = sync.breaker.clock.now() + TRIAL_RECHECK_MS;
        return;
      }
      // The cluster does not hold this breaker open (closed, disabled, or unknown after a Redis
      // restart): a newer cluster state is applied; otherwise the breaker's own round runs.
      this.applyAnswer(sync, [state, ageMs, gen, reopens], false);
      sync.trial = 'granted';
      sync.trialFromLease = false;
    } catch {
      // Redis unreachable: the local round runs (the store is about to be local-only anyway).
      sync.trial = 'granted';
      sync.trialFromLease = false;
    }
  }

  /** A breaker changed state by itself (not from the cluster): tell the cluster what it must know. */
  private localTransition(sync: RedisBreakerSync, change: CircuitBreakerStateChange): void {
    if (change.reason === 'remote' || this.closed) return;
    if (change.reason === 'manual') {
      // Kept until the cluster has it: made while Redis is down, it is sent when Redis returns.
      sync.holdsLease = false;
      sync.pendingManual = change.to;
      void this.sendManual(sync);
      return;
    }
    if (!sync.holdsLease) return;
    if (change.to === 'closed' || change.to === 'open') {
      sync.holdsLease = false;
      void this.sendTransition(sync, change.to, 'verdict', change.reason ?? 'verdict');
    }
  }

  /** Sends the breaker's last manual transition, unless a later one replaced it meanwhile. */
  private async sendManual(sync: RedisBreakerSync): Promise<void> {
    const to = sync.pendingManual;
    if (to === undefined || !this.connected) return;
    if (await this.sendTransition(sync, to, 'manual', 'manual')) {
      if (sync.pendingManual === to) sync.pendingManual = undefined;
    }
  }

  /** True when the cluster took the transition. */
  private async sendTransition(sync: RedisBreakerSync, to: CircuitBreakerState, kind: 'manual' | 'verdict', reason: string): Promise<boolean> {
    if (!this.link.available) return false; // local-only: a manual change waits for the resync
    try {
      const answer = await this.runScript({
        script: TRANSITION,
        keys: [sync.hash, sync.lease],
        args: [this.channel, sync.id, this.origin, this.keyTtl(sync), to, kind, reason],
      });
      this.applyAnswer(sync, answer as Answer, false);
      return true;
    } catch {
      // Redis failed: the change is local until the resync.
      return false;
    }
  }

  /**
   * Applies a cluster state to the local breaker when it is newer than the last one applied
   * (`authoritative`: whatever it is, after a (re)read). `open` is dated by its age.
   */
  private applyAnswer(sync: RedisBreakerSync, answer: Answer, authoritative: boolean): void {
    const [state, ageMs, gen, reopens] = answer;
    if (state === 'none') {
      if (authoritative) sync.gen = -1;
      return;
    }
    if (!authoritative && gen <= sync.gen) return;
    sync.gen = gen;
    this.applyState(sync, state, Number(ageMs), reopens === undefined ? undefined : Number(reopens));
  }

  /** `reopens`: the cluster's re-opens in a row, so every replica's open period grows alike. */
  private applyState(sync: RedisBreakerSync, state: string, ageMs: number, reopens: number | undefined): void {
    const breaker = sync.breaker;
    if (state === 'open' || state === 'forced-open') {
      // A round this replica still runs is over once the cluster says otherwise.
      if (breaker.state !== 'half-open' || !sync.holdsLease) {
        sync.holdsLease = false;
        breaker.applyRemote(state, breaker.clock.now() - ageMs, reopens);
      }
    } else if (state === 'closed' || state === 'disabled') {
      sync.holdsLease = false;
      sync.trial = 'none';
      breaker.applyRemote(state);
    }
  }

  // --- pub/sub and outages ---

  private subscribe(): void {
    const subscriber = this.client.duplicate();
    this.subscriber = subscriber;
    // Errors surface through the link's breaker; the subscriber reconnects by itself.
    subscriber.on('error', () => undefined);
    let readyBefore = false;
    subscriber.on('ready', () => {
      // A reconnected subscriber missed messages: re-read every breaker. It also proves Redis is
      // back: a local-only store need not wait for its breaker's next trial (closing it resyncs).
      if (readyBefore) {
        if (this.localOnly) this.link.breaker.reset();
        else this.resync();
      }
      readyBefore = true;
    });
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.received(message);
    });
    subscriber.subscribe(this.channel).catch(() => undefined);
  }

  private received(message: string): void {
    let parsed: TransitionMessage;
    try {
      parsed = JSON.parse(message) as TransitionMessage;
    } catch {
      return;
    }
    const sync = this.syncs.get(parsed.id);
    if (sync === undefined || typeof parsed.gen !== 'number') return;
    this.applyAnswer(sync, [parsed.state, parsed.ageMs, parsed.gen, typeof parsed.reopens === 'number' ? parsed.reopens : undefined], false);
  }

  private wentDown(): void {
    if (this.localOnly || this.closed) return;
    this.localOnly = true;
    this.options.logger.warn(`Bulwark: Redis is unreachable; ${this.syncs.size} circuit breaker(s) are local-only until it returns`);
    // One timer per store, only during an outage: a PING through the link is its trial call.
    const every = Math.max(50, Math.floor(this.options.redisRecoveryTimeout / 2));
    this.probeTimer = setInterval(() => {
      if (this.link.available) this.link.run(() => this.client.ping()).catch(() => undefined);
    }, every);
    this.probeTimer.unref();
  }

  private stopProbing(): void {
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private cameBack(): void {
    if (!this.localOnly || this.closed) return;
    this.localOnly = false;
    this.stopProbing();
    this.options.logger.log(`Bulwark: Redis is reachable again; resyncing ${this.syncs.size} circuit breaker(s)`);
    this.resync();
  }

  /**
   * After an outage or a reconnect: a breaker changed by hand meanwhile tells the cluster (that
   * change is the newest news); every other one re-reads the cluster state.
   */
  private resync(): void {
    if (this.closed) return;
    for (const sync of this.syncs.values()) {
      if (sync.pendingManual !== undefined) void this.sendManual(sync);
      else this.requestRead(sync);
    }
  }
}

/** Creates the store for `ResilienceModule.forRoot({ store: redisStore({ client }) })`. */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}

function breakerId(name: string, key: string | undefined): string {
  return key === undefined ? encodeURIComponent(name) : `${encodeURIComponent(name)}:${encodeURIComponent(key)}`;
}

function describe(breaker: CircuitBreakerPolicy): string {
  return breaker.key === undefined ? breaker.name : `${breaker.name}[${breaker.key}]`;
}
