import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection } from 'node:net';
import { freePort } from './free-port.js';
import { killOnExit } from './kill-on-exit.js';
import { sleep } from './sleep.js';
import { terminate } from './terminate.js';

/** A `redis-server` this process spawned on a loopback port, without persistence. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** SIGTERM, then SIGKILL if it has not exited within 2 s. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL, as a crashed or partitioned Redis: no goodbye to connected clients. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted); waits until it answers PING. */
  restart(): Promise<void>;
}

export interface RedisServerOptions {
  /** The port to bind; default a free loopback port (up to 3 tries: one can be taken before Redis binds it). */
  readonly port?: number;
  /** How long to wait for the first PING answer; default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** More `redis-server` arguments (e.g. `--cluster-enabled yes` for a cluster node). */
  readonly args?: readonly string[];
}

const READY_TIMEOUT_MS = 5_000;
const PORT_ATTEMPTS = 3;

/** `redis-server`'s version (`7.0.15`) when it is on the PATH, else undefined. */
export function redisServerVersion(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error !== undefined || probe.status !== 0) return undefined;
  return /v=(\S+)/.exec(probe.stdout)?.[1] ?? probe.stdout.trim();
}

/**
 * Spawns `redis-server --port <port> --bind 127.0.0.1 --save "" --appendonly no` and resolves once
 * it answers PING. It is SIGKILLed when this process exits, if it is still running then.
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      let child = await spawnRedis(port, readyTimeoutMs, options.args ?? []);
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => terminate(child, 'SIGTERM'),
        kill: () => terminate(child, 'SIGKILL'),
        restart: async () => {
          await terminate(child, 'SIGKILL');
          child = await spawnRedis(port, readyTimeoutMs, options.args ?? []);
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function spawnRedis(port: number, readyTimeoutMs: number, extra: readonly string[]): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extra];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  // Its last words, for the error when it exits before it is ready (port taken, bad flag).
  let output = '';
  const keep = (chunk: string): void => {
    output = (output + chunk).slice(-2_000);
  };
  child.stdout!.setEncoding('utf8').on('data', keep);
  child.stderr!.setEncoding('utf8').on('data', keep);
  let failure: Error | undefined;
  child.once('exit', (code, signal) => {
    failure ??= new Error(`redis-server on port ${port} exited (${code ?? signal}) before answering PING:\n${output}`);
  });
  child.on('error', (error) => {
    failure ??= new Error(`redis-server could not be started: ${error.message}`);
  });
  try {
    await waitForPing(port, child.pid ?? -1, readyTimeoutMs, () => failure);
  } catch (error) {
    await terminate(child, 'SIGKILL');
    throw error;
  }
  return child;
}

/**
 * Resolves once `PING` on `port` answers `+PONG` from `pid` (a server already on the port would answer
 * too); polls every 20 ms, and throws `failed()` as soon as there is one.
 */
async function waitForPing(port: number, pid: number, timeoutMs: number, failed: () => Error | undefined): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const failure = failed();
    if (failure !== undefined) throw failure;
    if (await ping(port, pid)) return;
    await sleep(20);
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}

/** `PING` then `INFO server`, whose `process_id` says which server answered. */
function ping(port: number, pid: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\nINFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (!reply.startsWith('+PONG\r\n')) {
        if (reply.includes('\r\n')) done(false);
        return;
      }
      const id = /process_id:(\d+)\r\n/.exec(reply);
      if (id !== null) done(Number(id[1]) === pid);
    });
  });
}
