import {
  ExecutionScope,
  runInScope,
  type CircuitBreakerPolicy,
  type CircuitBreakerState,
  type CircuitBreakerStateChange,
  type ResilienceStore,
  type ResilienceStoreStatus,
  type RetryBudget,
} from '@bulwark/core';
import type { Cluster, Redis } from 'ioredis';
import { parseClusterState, parseTransitionMessage, type ClusterState } from './cluster-state.parser.js';
import { ACQUIRE_TRIAL, READ_STATE, RECORD_OUTCOMES, TRANSITION } from './lua/breaker.scripts.js';
import { SYNC_RETRY_BUDGET } from './lua/retry-budget.script.js';
import { ScriptRunner, type ScriptCall, type ScriptResult } from './lua/script-runner.js';
import { RedisBreakerSync, type BreakerSyncHost } from './redis-breaker.sync.js';
import { closeConnection, keyPrefixOf, openCommandConnection, openSubscriberConnection, type RedisClient } from './redis-connection.factory.js';
import { RedisLink } from './redis-link.js';
import { RedisRetryBudget, type RetryBudgetHost } from './redis-retry-budget.js';
import { resolveRedisStoreOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from './redis-store.options.js';
import { RedisSubscription } from './redis.subscription.js';
import { ThrottledLogger } from './throttled.logger.js';

/** How long a replica refused the trial lease waits before asking again (ms). */
const TRIAL_RECHECK_MS = 100;
/** Sharing that does not work this long after the store starts is reported (connecting takes ms; a busy start-up may take seconds). */
const STARTUP_GRACE_MS = 5_000;
/** Sharing that stops working is reported after this long, so the report names the settled cause. */
const REPORT_SETTLE_MS = 100;
/** Invalid data about one breaker (a message, a hash) is reported at most this often. */
const INVALID_DATA_LOG_INTERVAL_MS = 60_000;

/** What a batch call's answer is for. */
type Target =
  | { readonly kind: 'read'; readonly sync: RedisBreakerSync; readonly applied: number }
  | { readonly kind: 'record'; readonly sync: RedisBreakerSync }
  | { readonly kind: 'budget'; readonly budget: RedisRetryBudget };

/**
 * Shares circuit-breaker state across replicas through Redis (see the package README):
 * - every breaker keeps its local state machine, so no call ever waits on Redis;
 * - outcomes of calls admitted while closed are batched (failures sent at once, successes every
 *   `flushIntervalMs`) to a Lua script that counts them cluster-wide and opens the cluster
 *   breaker, publishing the transition, when the threshold is crossed;
 * - every replica applies published transitions (`applyClusterState`), dated so all half-open together;
 * - after the recovery timeout only the replica holding the trial lease runs the half-open round;
 *   its verdict (and any admin transition) is published the same way;
 * - every Redis call has a short timeout and the store's own breaker (`RedisLink`), and runs at
 *   the root scope, never in the scope of the user call that led to it;
 * - the store talks to Redis on two connections of its own, made from the application's client
 *   (see redis-connection.factory.ts); when either does not work, that is logged once and shown
 *   by `status()`, the breakers are local-only while commands cannot reach Redis, and every
 *   breaker's cluster state is read again once both work.
 */
export class RedisStore implements ResilienceStore, BreakerSyncHost, RetryBudgetHost {
  readonly options: ResolvedRedisStoreOptions;
  /** This replica's id in leases and messages. */
  readonly origin = `${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  /** The start of every key and of the channel: the client's `keyPrefix`, then `prefix`. */
  readonly namespace: string;
  readonly channel: string;
  /** The store's guard around Redis (timeout + breaker); exposed for health and tests. */
  readonly link: RedisLink;

  /** The store's connection for its scripts. */
  private readonly commands: RedisClient;
  private readonly subscription: RedisSubscription;
  private readonly scripts: ScriptRunner;
  private readonly invalidData: ThrottledLogger;
  private readonly syncs = new Map<string, RedisBreakerSync>();
  private readonly budgets = new Map<string, RedisRetryBudget>();
  private closed = false;

  private dirty: RedisBreakerSync[] = [];
  private dirtyBudgets: RedisRetryBudget[] = [];
  private pendingOutcomes = 0;
  private flushing = false;
  private again = false;
  private againUrgent = false;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined = undefined;
  /** Whether commands reached Redis at the last review (a change resyncs). */
  private wasConnected = false;
  /** Commands have reached Redis at least once. */
  private everConnected = false;
  /** Sharing as last reported: `starting` until it first works or the start-up grace ends. */
  private sharing: 'starting' | 'working' | 'unsubscribed' | 'unreachable' = 'starting';
  private graceTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  private reportTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  /** The last error the command connection reported (for the log). */
  private lastError: string | undefined = undefined;
  /** While Redis may be gone (a timeout, an open link, a lost subscription): PINGs it (an idle store has no batch to try it with). */
  private probeTimer: ReturnType<typeof setInterval> | undefined = undefined;

  constructor(options: RedisStoreOptions) {
    this.options = resolveRedisStoreOptions(options);
    const client = this.options.client;
    this.namespace = `${keyPrefixOf(client)}${this.options.prefix}`;
    this.channel = `${this.namespace}:cb:events`;
    this.invalidData = new ThrottledLogger(this.options.logger, INVALID_DATA_LOG_INTERVAL_MS);
    this.link = new RedisLink(
      { commandTimeoutMs: this.options.commandTimeoutMs, failureThreshold: this.options.redisFailureThreshold, recoveryTimeout: this.options.redisRecoveryTimeout },
      { down: () => this.review(), up: () => this.review(), failed: () => this.review() },
    );
    // Connections, their listeners and the store's timers belong to no user call: created at the
    // root, their callbacks run there too.
    let nextNode = 0;
    const { commands, subscription } = runInScope(ExecutionScope.root, () => {
      const waitMs = this.options.commandTimeoutMs;
      const commands = openCommandConnection(client, waitMs);
      const subscription = new RedisSubscription(
        this.channel,
        () => {
          if (!client.isCluster) return openSubscriberConnection(client, waitMs);
          const nodes = (commands as Cluster).nodes('master');
          if (nodes.length === 0) return undefined;
          return openSubscriberConnection(client, waitMs, nodes[nextNode++ % nodes.length]);
        },
        { message: (message) => this.received(message), subscribed: () => this.subscribed(), lost: () => this.review() },
      );
      this.graceTimer = setTimeout(() => {
        this.graceTimer = undefined;
        this.review();
      }, STARTUP_GRACE_MS);
      this.graceTimer.unref();
      return { commands, subscription };
    });
    this.commands = commands;
    this.subscription = subscription;
    this.scripts = new ScriptRunner(commands);
    commands.on('error', (error: Error) => {
      this.lastError = error.message;
    });
    if (commands.isCluster) commands.on('node error', (error: Error) => (this.lastError = error.message));
    commands.on('ready', () => {
      // A fresh connection is proof Redis answers: no need to wait for the link's next trial.
      if (!this.link.up) this.link.breaker.reset();
      // On a Cluster the subscriber needs a node, known once the cluster is ready.
      this.subscription.start();
      this.review();
    });
    commands.on('close', () => this.review());
    commands.on('end', () => this.review());
    if (!client.isCluster) runInScope(ExecutionScope.root, () => this.subscription.start());
  }

  attachCircuitBreaker(breaker: CircuitBreakerPolicy): void {
    if (this.closed) return;
    const id = breakerId(breaker.name, breaker.key);
    if (this.syncs.has(id)) throw new Error(`Circuit breaker "${describe(breaker)}" is already attached to this Redis store`);
    // One hash tag for both keys of a breaker: its scripts touch one slot (Redis Cluster).
    const hash = `${this.namespace}:cb:{${id}}`;
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
    this.invalidData.forget(id);
    sync.subscription?.dispose();
    breaker.detachSync(sync);
  }

  retryBudget(name: string): RetryBudget | undefined {
    const options = this.options.retryBudget;
    if (options === undefined) return undefined;
    let budget = this.budgets.get(name);
    if (budget === undefined) {
      budget = new RedisRetryBudget(name, `${this.namespace}:rb:{${encodeURIComponent(name)}}`, options, this);
      this.budgets.set(name, budget);
    }
    return budget;
  }

  /** The attached breakers' cluster ids (tests, diagnostics). */
  attachedIds(): string[] {
    return [...this.syncs.keys()];
  }

  /** Whether the store's commands reach Redis (false: every breaker is local-only). */
  get connected(): boolean {
    return this.commands.status === 'ready' && this.link.up;
  }

  /** Whether sharing works: commands reach Redis, and Redis confirmed the subscription (health shows this). */
  status(): ResilienceStoreStatus {
    return { connected: this.connected, subscribed: this.subscription.subscribed };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.immediate !== undefined) clearImmediate(this.immediate);
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
    this.stopProbing();
    this.timer = undefined;
    this.immediate = undefined;
    this.graceTimer = undefined;
    for (const sync of [...this.syncs.values()]) this.detachCircuitBreaker(sync.breaker);
    await Promise.all([this.subscription.close(this.options.commandTimeoutMs), closeConnection(this.commands, this.options.commandTimeoutMs)]);
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
    runInScope(ExecutionScope.root, () => void this.requestTrial(sync));
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
    // The timer is armed at the root: the flush must not run in the scope of the call that
    // happened to record the outcome (its deadline, its end).
    if (urgent) {
      if (this.immediate === undefined) runInScope(ExecutionScope.root, this.armImmediate);
      return;
    }
    if (this.timer === undefined && this.immediate === undefined) runInScope(ExecutionScope.root, this.armTimer);
  }

  private readonly armImmediate = (): void => {
    this.immediate = setImmediate(this.flushNow);
  };

  private readonly armTimer = (): void => {
    this.timer = setTimeout(this.flushNow, this.options.flushIntervalMs);
    this.timer.unref();
  };

  private readonly flushNow = (): void => {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.immediate = undefined;
    void this.flush();
  };

  /** Sends every queued batch, read and budget in one round-trip, and applies the answers. */
  private async flush(): Promise<void> {
    const syncs = this.dirty;
    const budgets = this.dirtyBudgets;
    this.dirty = [];
    this.dirtyBudgets = [];
    this.pendingOutcomes = 0;
    // Local-only: outcomes are the local breakers' business until Redis is back (then a resync
    // reads every breaker again), and those counted meanwhile are dropped, not sent late. Before
    // the first connection they are kept: sent with the first batch, a few ms late at most.
    const connected = this.connected;
    const calls: ScriptCall[] = [];
    const targets: Target[] = [];
    for (const sync of syncs) {
      sync.queued = false;
      if (!connected) {
        if (this.everConnected) sync.takeCounts();
        continue;
      }
      if (sync.readDue) {
        sync.readDue = false;
        calls.push({ script: READ_STATE, keys: [sync.hash], args: [] });
        targets.push({ kind: 'read', sync, applied: sync.applied });
      }
      if (!sync.hasCounts) continue;
      const counts = sync.takeCounts();
      calls.push({ script: RECORD_OUTCOMES, keys: [sync.hash], args: [this.channel, sync.id, this.origin, this.keyTtl(sync), ...this.recordArgs(sync, counts)] });
      targets.push({ kind: 'record', sync });
    }
    for (const budget of budgets) {
      budget.queued = false;
      if (!connected && !this.everConnected) continue;
      const { calls: made, retries } = budget.local.drain();
      if (!connected || made + retries === 0) continue;
      const { ratio, minRetriesPerSecond, maxTokens } = budget.local;
      calls.push({
        script: SYNC_RETRY_BUDGET,
        keys: [budget.hash],
        args: [made, retries, ratio, minRetriesPerSecond, maxTokens, this.options.keyTtlMs],
      });
      targets.push({ kind: 'budget', budget });
    }
    if (calls.length === 0) return;
    this.flushing = true;
    try {
      const results = await this.link.run(() => this.scripts.batch(calls));
      if (this.closed) return;
      results.forEach((result, i) => this.applyResult(targets[i]!, result));
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

  private applyResult(target: Target, result: ScriptResult): void {
    if (target.kind === 'budget') {
      if (result.ok) target.budget.synced(Number(result.value));
      else this.invalidData.warn(`rb:${target.budget.name}`, `Bulwark: Redis answered an error for retry budget "${target.budget.name}": ${result.error.message}`);
      return;
    }
    const sync = target.sync;
    const state = this.answered(sync, result, 0);
    if (state === undefined) return;
    this.applyClusterState(sync, state, target.kind === 'read' && sync.applied === target.applied);
  }

  /**
   * A script's cluster state for `sync` (its `state, ageMs, gen, repaired` from `offset`); undefined,
   * reported, when Redis answered an error for this call or something no script answers.
   */
  private answered(sync: RedisBreakerSync, result: ScriptResult, offset: number): ClusterState | undefined {
    if (!result.ok) {
      this.invalidData.warn(sync.id, `Bulwark: Redis answered an error for circuit breaker "${describe(sync.breaker)}" (${sync.hash}): ${result.error.message}`);
      return undefined;
    }
    const state = parseClusterState(result.value, offset);
    if (typeof state === 'string') {
      this.invalidData.warn(sync.id, `Bulwark: ignored an invalid answer from Redis for circuit breaker "${describe(sync.breaker)}": ${state}`);
      return undefined;
    }
    if (Number((result.value as unknown[])[offset + 3]) === 1) {
      this.invalidData.warn(sync.id, `Bulwark: invalid data in Redis for circuit breaker "${describe(sync.breaker)}" (${sync.hash}) was repaired`);
    }
    return state;
  }

  /** One script call through the link (timeout + breaker), its result. */
  private async runScript(call: ScriptCall): Promise<ScriptResult> {
    const [result] = await this.link.run(() => this.scripts.batch([call]));
    return result!;
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

  /** Reads the breaker's cluster state with the next batch (sent at once). */
  private requestRead(sync: RedisBreakerSync): void {
    sync.readDue = true;
    if (!sync.queued) {
      sync.queued = true;
      this.dirty.push(sync);
    }
    this.schedule(true);
  }

  // --- transitions ---

  /** Asks for the trial lease; the answer is taken by the breaker's next call. */
  private async requestTrial(sync: RedisBreakerSync): Promise<void> {
    // The script judges the open period from the cluster's own count of re-opens (with
    // `recoveryBackoff`); the lease lasts one `recoveryTimeout`, as a half-open round does.
    const { recoveryTimeout: recovery, recoveryBackoff } = sync.breaker.options;
    const growth = recoveryBackoff === undefined ? [] : [recoveryBackoff.multiplier, recoveryBackoff.maxRecoveryTimeout];
    let state: ClusterState | undefined;
    let granted = false;
    try {
      const result = await this.runScript({ script: ACQUIRE_TRIAL, keys: [sync.hash, sync.lease], args: [this.origin, recovery, recovery, this.keyTtl(sync), ...growth] });
      state = this.answered(sync, result, 1);
      granted = state !== undefined && Number((result as { value: unknown[] }).value[0]) === 1;
    } catch {
      // Redis unreachable: the local round runs (the store is about to be local-only anyway).
    }
    if (state === undefined) {
      sync.trial = 'granted';
      sync.trialFromLease = false;
      return;
    }
    if (granted) {
      sync.trial = 'granted';
      sync.trialFromLease = true;
      sync.leaseGen = state.gen;
      return;
    }
    if (state.state === 'open' || state.state === 'forced-open') {
      // Someone else runs the round (or Redis' clock says not yet): keep failing fast.
      this.applyClusterState(sync, state, false);
      sync.trial = 'none';
      sync.trialCheckAfter = sync.breaker.clock.now() + TRIAL_RECHECK_MS;
      return;
    }
    // The cluster does not hold this breaker open (closed, disabled, or unknown after a Redis
    // restart): a newer cluster state is applied; otherwise the breaker's own round runs.
    this.applyClusterState(sync, state, false);
    sync.trial = 'granted';
    sync.trialFromLease = false;
  }

  /** A breaker changed state by itself (not from the cluster): tell the cluster what it must know. */
  private localTransition(sync: RedisBreakerSync, change: CircuitBreakerStateChange): void {
    if (change.reason === 'remote' || this.closed) return;
    if (change.reason === 'manual') {
      // Kept until the cluster has it: made while Redis is down, it is sent when Redis returns.
      sync.holdsLease = false;
      sync.pendingManual = change.to;
      runInScope(ExecutionScope.root, () => void this.sendManual(sync));
      return;
    }
    if (!sync.holdsLease) return;
    if (change.to === 'closed' || change.to === 'open') {
      sync.holdsLease = false;
      const to = change.to;
      runInScope(ExecutionScope.root, () => void this.sendTransition(sync, to, 'verdict', change.reason ?? 'verdict'));
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

  /**
   * True when the cluster took the transition. A verdict the cluster refuses (its round is over:
   * the lease expired and another round started, or the state moved on) leaves the local breaker
   * following the cluster's state, whatever its generation.
   */
  private async sendTransition(sync: RedisBreakerSync, to: CircuitBreakerState, kind: 'manual' | 'verdict', reason: string): Promise<boolean> {
    if (!this.connected) return false; // local-only: a manual change waits for the resync
    try {
      const result = await this.runScript({
        script: TRANSITION,
        keys: [sync.hash, sync.lease],
        args: [this.channel, sync.id, this.origin, this.keyTtl(sync), to, kind, reason, kind === 'verdict' ? sync.leaseGen : ''],
      });
      const state = this.answered(sync, result, 0);
      if (state === undefined) return false;
      const stale = Number((result as { value: unknown[] }).value[5]) === 1;
      this.applyClusterState(sync, state, stale);
      return !stale;
    } catch {
      // Redis failed: the change is local until the resync.
      return false;
    }
  }

  /**
   * Applies a cluster state to the local breaker when its generation is newer than the last one
   * applied. `authoritative`: Redis' word whatever its generation (a read no news overtook while it
   * was under way, a refused verdict), for a Redis that lost its data or a round that is over.
   */
  private applyClusterState(sync: RedisBreakerSync, cluster: ClusterState, authoritative: boolean): void {
    if (cluster.state === 'none') {
      if (authoritative) {
        sync.gen = 0;
        sync.clusterState = undefined;
      }
      return;
    }
    if (!authoritative && cluster.gen <= sync.gen) return;
    sync.gen = cluster.gen;
    sync.clusterState = cluster.state;
    sync.applied++;
    this.applyState(sync, cluster.state, cluster.ageMs, cluster.reopens);
  }

  /** `reopens`: the cluster's re-opens in a row, so every replica's open period grows alike. */
  private applyState(sync: RedisBreakerSync, state: string, ageMs: number, reopens: number): void {
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

  // --- pub/sub, connection state, outages ---

  /**
   * A message on the channel. Only valid ones count (see `parseTransitionMessage`), and one is
   * applied at once only when it is the next generation after the last one applied: it cannot
   * skip the chain. Older (or equal) news is dropped. News from further ahead (a missed message,
   * a hash re-created after it expired, or a forged generation) is checked: the breaker's hash is
   * read and Redis' answer is applied, so no message can carry a generation Redis did not issue.
   */
  private received(text: string): void {
    const message = parseTransitionMessage(text);
    if ('invalid' in message) {
      const sync = message.id === undefined ? undefined : this.syncs.get(message.id);
      const subject = sync === undefined ? `channel` : sync.id;
      const about = sync === undefined ? '' : ` for circuit breaker "${describe(sync.breaker)}"`;
      this.invalidData.warn(subject, `Bulwark: ignored an invalid message on Redis channel "${this.channel}"${about}: ${message.invalid}`);
      return;
    }
    const sync = this.syncs.get(message.id);
    if (sync === undefined) return;
    if (message.gen <= sync.gen) {
      // Same generation, another state: one of them is not Redis' (ask Redis which).
      if (message.gen === sync.gen && message.state !== sync.clusterState) this.requestRead(sync);
      return;
    }
    if (sync.gen > 0 && message.gen === sync.gen + 1) this.applyClusterState(sync, message, false);
    else this.requestRead(sync);
  }

  /** Redis confirmed the subscription: messages may have been missed before it, so read every breaker. */
  private subscribed(): void {
    this.resync();
    this.review();
  }

  /**
   * Reports when sharing stops working (once per worse state: not subscribed, then unreachable)
   * and when it works again (once), probes Redis while it may be gone, and resyncs when commands
   * reach Redis again: called on every change of the connections, the link and the subscription.
   */
  private review(): void {
    if (this.closed) return;
    const connected = this.connected;
    if (connected !== this.wasConnected) {
      this.wasConnected = connected;
      if (connected) {
        this.everConnected = true;
        this.resync();
      }
    }
    // The connection is up but Redis did not answer in time, or a subscription was lost (on a
    // Cluster nothing else tells whether the nodes are gone): PING through the link until it is clear.
    if (this.commands.status === 'ready' && (!this.link.up || this.link.failures > 0 || !this.subscription.subscribed)) this.startProbing();
    else this.stopProbing();
    const state = this.sharingState();
    if (state === 'working') {
      if (this.reportTimer !== undefined) clearTimeout(this.reportTimer);
      this.reportTimer = undefined;
      if (this.sharing !== 'working' && this.sharing !== 'starting') {
        this.options.logger.log(`Bulwark: Redis is reachable again and subscribed; resyncing ${this.syncs.size} circuit breaker(s)`);
      }
      this.sharing = 'working';
      return;
    }
    if (!this.worse(state) || (this.sharing === 'starting' && this.graceTimer !== undefined) || this.reportTimer !== undefined) return;
    // Reported once things settle: a dying Redis closes both connections a moment apart, and the
    // report should name the outage, not the first connection to notice it.
    runInScope(ExecutionScope.root, this.armReport);
  }

  private sharingState(): 'working' | 'unsubscribed' | 'unreachable' {
    if (!this.connected) return 'unreachable';
    return this.subscription.subscribed ? 'working' : 'unsubscribed';
  }

  /** Whether `state` is worse than what was last reported (so it is news). */
  private worse(state: 'unsubscribed' | 'unreachable'): boolean {
    return state === 'unreachable' ? this.sharing !== 'unreachable' : this.sharing === 'working' || this.sharing === 'starting';
  }

  private readonly armReport = (): void => {
    this.reportTimer = setTimeout(this.report, REPORT_SETTLE_MS);
    this.reportTimer.unref();
  };

  /** Says that sharing stopped working, and why (unless it works again by now or was said already). */
  private readonly report = (): void => {
    this.reportTimer = undefined;
    if (this.closed) return;
    const state = this.sharingState();
    if (state === 'working' || !this.worse(state)) return;
    this.sharing = state;
    const n = this.syncs.size;
    if (state === 'unreachable') {
      const why = this.commands.status === 'ready' ? `no answer within ${this.options.commandTimeoutMs} ms` : (this.lastError ?? `connection ${this.commands.status}`);
      this.options.logger.warn(`Bulwark: Redis is unreachable (${why}); ${n} circuit breaker(s) are local-only until it returns`);
    } else {
      const why = this.subscription.lastError ?? 'no confirmation from Redis';
      this.options.logger.warn(
        `Bulwark: not subscribed to Redis channel "${this.channel}" (${why}); ${n} circuit breaker(s) do not hear other replicas' transitions as they happen until it is`,
      );
    }
  };

  private startProbing(): void {
    if (this.probeTimer !== undefined) return;
    const every = Math.max(50, Math.floor(this.options.redisRecoveryTimeout / 2));
    runInScope(ExecutionScope.root, () => {
      // Through the link: refused at once while its breaker is open, the trial once it may try.
      // A success that settles everything stops the probe.
      this.probeTimer = setInterval(() => {
        this.link.run(() => (this.commands as Redis).ping()).then(
          () => this.review(),
          () => undefined,
        );
      }, every);
      this.probeTimer.unref();
    });
  }

  private stopProbing(): void {
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  /**
   * After an outage, a reconnect or a new subscription: a breaker changed by hand meanwhile tells
   * the cluster (that change is the newest news); every other one re-reads the cluster state.
   */
  private resync(): void {
    if (this.closed || !this.connected) return;
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
