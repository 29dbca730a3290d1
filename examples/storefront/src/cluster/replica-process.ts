import { spawn, type ChildProcess } from 'node:child_process';
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

/** One storefront replica (`dist/cluster-replica.js`) in its own Node process. */
export class ReplicaProcess {
  readonly transitions: ReplicaTransition[] = [];
  url = '';
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(transition: ReplicaTransition) => void>();
  private errors = '';

  private constructor(
    readonly id: string,
    environment: ReplicaEnvironment,
  ) {
    this.child = spawn(process.execPath, [ENTRY], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        REPLICA: id,
        PRICING_URL: environment.downstreams.pricing,
        RANKING_URL: environment.downstreams.ranking,
        METRICS_URL: environment.downstreams.metrics,
        REDIS_URL: environment.redisUrl ?? '',
        ADMIN_TOKEN: environment.adminToken,
        RECOVERY_TIMEOUT_MS: String(environment.recoveryTimeoutMs),
      },
    });
    process.once('exit', this.killNow);
    let pending = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        this.line(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
      }
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.errors = (this.errors + chunk.toString()).slice(-4_000);
    });
  }

  /** Starts a replica and resolves once it listens. */
  static async start(id: string, environment: ReplicaEnvironment): Promise<ReplicaProcess> {
    const replica = new ReplicaProcess(id, environment);
    const until = Date.now() + 20_000;
    while (replica.url === '') {
      if (replica.child.exitCode !== null || Date.now() > until) {
        await replica.stop();
        throw new Error(`replica ${id} did not start:\n${replica.errors}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
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
    process.off('exit', this.killNow);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const force = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      this.child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      this.child.kill('SIGTERM');
    });
  }

  private readonly killNow = (): void => {
    this.child.kill('SIGKILL');
  };

  private line(text: string): void {
    let event: { event?: string; port?: number } & Omit<ReplicaTransition, 'replica'>;
    try {
      event = JSON.parse(text) as typeof event;
    } catch {
      return; // not one of ours (a library writing to stdout)
    }
    if (event.event === 'ready') {
      this.url = `http://127.0.0.1:${event.port}`;
    } else if (event.event === 'state') {
      const transition: ReplicaTransition = { replica: this.id, name: event.name, from: event.from, to: event.to, at: event.at, ...(event.reason === undefined ? {} : { reason: event.reason }) };
      this.transitions.push(transition);
      for (const listener of this.listeners) listener(transition);
    }
  }
}
