import { afterAll } from '@jest/globals';
import { NodeProcess } from '@bulwark/local-cluster';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/replica-app.mjs', import.meta.url));
const READY_TIMEOUT_MS = 20_000;

export type BreakerState = 'closed' | 'open' | 'half-open' | 'forced-open' | 'disabled';

/** A `{"event":"state"}` line of a replica: a transition of its `downstream` breaker. */
export interface StateEvent {
  readonly replica: string;
  readonly name: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly reason?: string;
  /** The replica's `machineNow()`: the machine's monotonic clock, the test process's too. */
  readonly at: number;
}

/** A `{"event":"redis"}` line: the replica's own ioredis client connected or lost Redis. */
export interface RedisEvent {
  readonly status: 'ready' | 'close';
  readonly at: number;
}

/** A stdout line of replica-app.mjs: `ready` (with `port`), `state` or `redis`. */
type EventLine = { event: string; port?: number } & StateEvent & RedisEvent;

export interface ReplicaOptions {
  readonly downstreamUrl: string;
  /** Without it, `STORE=off`: local-only breakers. */
  readonly redisUrl?: string;
  /** Key prefix of the store: one per test run, so runs sharing a Redis never meet. */
  readonly prefix?: string;
  readonly failureThreshold: number;
  readonly recoveryTimeoutMs: number;
}

/** Every replica this test file spawned: stopped after its tests (killed, at the latest, when the process exits). */
const spawned = new Set<ReplicaProcess>();
afterAll(async () => {
  await stopReplicas([...spawned]);
});

/** One `node replica-app.mjs`, its event lines parsed as they come. */
export class ReplicaProcess {
  readonly states: StateEvent[] = [];
  readonly redis: RedisEvent[] = [];
  url = '';
  private readonly child: NodeProcess<EventLine>;

  private constructor(
    readonly id: string,
    options: ReplicaOptions,
  ) {
    this.child = new NodeProcess({
      entry: FIXTURE,
      env: {
        NODE_OPTIONS: '', // Jest's --experimental-vm-modules is not for the children
        REPLICA: id,
        PORT: '0',
        DOWNSTREAM_URL: options.downstreamUrl,
        FAILURE_THRESHOLD: String(options.failureThreshold),
        RECOVERY_TIMEOUT_MS: String(options.recoveryTimeoutMs),
        STORE: options.redisUrl === undefined ? 'off' : 'on',
        REDIS_URL: options.redisUrl ?? '',
        PREFIX: options.prefix ?? 'bulwark',
      },
      onLine: (line) => this.line(line),
    });
    spawned.add(this);
  }

  /** Spawns the replica and resolves once it listens. */
  static async start(id: string, options: ReplicaOptions): Promise<ReplicaProcess> {
    const replica = new ReplicaProcess(id, options);
    try {
      const ready = await replica.child.ready(READY_TIMEOUT_MS, `${id} ready`);
      replica.url = `http://127.0.0.1:${ready.port}`;
    } catch (error) {
      throw new Error(`replica ${id} did not start: ${(error as Error).message}\n${replica.log}`);
    }
    return replica;
  }

  /** The breaker's state as its events tell it at time `t` (closed before any event). */
  stateAt(t: number): BreakerState {
    let state: BreakerState = 'closed';
    for (const event of this.states) {
      if (event.at > t) break;
      state = event.to;
    }
    return state;
  }

  /** The breaker's latest state. */
  get state(): BreakerState {
    return this.states.at(-1)?.to ?? 'closed';
  }

  /** The first transition to `to` at or after `since`. */
  firstTo(to: BreakerState, since: number): StateEvent | undefined {
    return this.states.find((event) => event.to === to && event.at >= since);
  }

  /** `GET path` on this replica: HTTP status and parsed body. */
  async get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(this.url + path, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  /** `POST <health>/downstream/<action>` with the admin header. */
  async admin(action: 'force-open' | 'disable' | 'reset'): Promise<number> {
    const response = await fetch(`${this.url}/health/resilience/downstream/${action}`, {
      method: 'POST',
      headers: { 'x-admin': 'yes' },
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** What the replica printed besides its event lines (for failure messages). */
  get log(): string {
    return this.child.log;
  }

  /** SIGTERM (the app closes), SIGKILL after 2 s. */
  stop(): Promise<void> {
    return this.child.stop();
  }

  private line(event: EventLine): void {
    if (event.event === 'state') this.states.push(event);
    else if (event.event === 'redis') this.redis.push({ status: event.status, at: event.at });
  }
}

/** Starts `count` replicas `r1`..`rN` in parallel. */
export async function startReplicas(count: number, options: ReplicaOptions): Promise<ReplicaProcess[]> {
  const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => ReplicaProcess.start(`r${i + 1}`, options)));
  const failed = started.find((result) => result.status === 'rejected');
  const replicas = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (failed !== undefined) {
    await stopReplicas(replicas);
    throw failed.reason;
  }
  return replicas;
}

export async function stopReplicas(replicas: readonly ReplicaProcess[]): Promise<void> {
  await Promise.all(replicas.map((replica) => replica.stop()));
}
