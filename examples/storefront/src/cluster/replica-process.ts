import { NodeProcess } from '@bulwark/local-cluster';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../cluster-replica.js', import.meta.url));

/** A `{"event":"state"}` line of a replica: one of its breakers changed state. */
export interface ReplicaTransition {
  readonly replica: string;
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly reason?: string;
  readonly at: number;
}

export interface ReplicaEnvironment {
  readonly downstreams: { pricing: string; ranking: string; metrics: string };
  /** Without it the replica keeps its own breakers. */
  readonly redisUrl?: string;
  readonly adminToken: string;
  readonly recoveryTimeoutMs: number;
}

/** A stdout line of `cluster-replica.js`: `ready` (with `port`) or `state`. */
type ReplicaLine = { event?: string; port?: number } & Omit<ReplicaTransition, 'replica'>;

/** One storefront replica (`dist/cluster-replica.js`) in its own Node process. */
export class ReplicaProcess {
  readonly transitions: ReplicaTransition[] = [];
  url = '';
  private readonly child: NodeProcess<ReplicaLine>;
  private readonly listeners = new Set<(transition: ReplicaTransition) => void>();

  private constructor(
    readonly id: string,
    environment: ReplicaEnvironment,
  ) {
    this.child = new NodeProcess({
      entry: ENTRY,
      env: {
        REPLICA: id,
        PRICING_URL: environment.downstreams.pricing,
        RANKING_URL: environment.downstreams.ranking,
        METRICS_URL: environment.downstreams.metrics,
        REDIS_URL: environment.redisUrl ?? '',
        ADMIN_TOKEN: environment.adminToken,
        RECOVERY_TIMEOUT_MS: String(environment.recoveryTimeoutMs),
      },
      onLine: (line) => this.line(line),
      // The replica closes its app within 2 s of SIGTERM; a second more before SIGKILL.
      stopGraceMs: 3_000,
    });
  }

  /** Starts a replica and resolves once it listens. */
  static async start(id: string, environment: ReplicaEnvironment): Promise<ReplicaProcess> {
    const replica = new ReplicaProcess(id, environment);
    try {
      const ready = await replica.child.ready(20_000);
      replica.url = `http://127.0.0.1:${ready.port}`;
    } catch {
      throw new Error(`replica ${id} did not start:\n${replica.child.log}`);
    }
    return replica;
  }

  /** Calls `listener` with every later transition; returns the unsubscribe function. */
  onTransition(listener: (transition: ReplicaTransition) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first transition of breaker `name` to `to` at or after `since`. */
  first(name: string, to: string, since: number): ReplicaTransition | undefined {
    return this.transitions.find((transition) => transition.name === name && transition.to === to && transition.at >= since);
  }

  /** The latest state of breaker `name` (closed before any transition). */
  state(name: string): string {
    return this.transitions.findLast((transition) => transition.name === name)?.to ?? 'closed';
  }

  /** `POST /health/resilience/<name>/<action>` with the admin token. */
  async admin(name: string, action: 'force-open' | 'reset', token: string): Promise<number> {
    const response = await fetch(`${this.url}/health/resilience/${name}/${action}`, {
      method: 'POST',
      headers: { 'x-admin-token': token },
      signal: AbortSignal.timeout(5_000),
    });
    await response.arrayBuffer();
    return response.status;
  }

  stop(): Promise<void> {
    return this.child.stop();
  }

  private line(event: ReplicaLine): void {
    if (event.event !== 'state') return;
    const transition: ReplicaTransition = { replica: this.id, name: event.name, from: event.from, to: event.to, at: event.at, ...(event.reason === undefined ? {} : { reason: event.reason }) };
    this.transitions.push(transition);
    for (const listener of this.listeners) listener(transition);
  }
}
