import { afterAll } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

/** A `redis-server` this process spawned on a loopback port, without persistence. */
export interface RedisServerHandle {
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

const READY_TIMEOUT_MS = 5_000;

/** Every server spawned by this test file; killed after its tests and, at the latest, when the process exits. */
const spawned = new Set<ChildProcess>();

// Registered when a spec imports this module (collection time): no test file can forget it.
afterAll(async () => {
  await Promise.all([...spawned].map((child) => terminate(child, 'SIGTERM')));
});
process.once('exit', () => {
  for (const child of spawned) child.kill('SIGKILL');
});

/**
 * Spawns `redis-server --port <free port> --bind 127.0.0.1 --save "" --appendonly no` and resolves
 * once it answers PING. Throws (with the install hint) when `redis-server` is not on the PATH.
 */
export async function startRedisServer(): Promise<RedisServerHandle> {
  requireRedisServer('a redis-server of their own (they kill and restart it)');
  // A port the OS just handed out can be taken again before redis binds it: try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      let child = await spawnRedis(port);
      const handle: RedisServerHandle = {
        url: `redis://127.0.0.1:${port}`,
        port,
        stop: () => terminate(child, 'SIGTERM'),
        kill: () => terminate(child, 'SIGKILL'),
        restart: async () => {
          await terminate(child, 'SIGKILL');
          child = await spawnRedis(port);
        },
      };
      return handle;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

let shared: Promise<string> | undefined;

/**
 * The Redis a spec file may share with other files: `BULWARK_REDIS_URL` when set (`.ci/run` starts
 * one), else a server started for this test file (stopped after it). Specs sharing a server keep
 * apart by key prefix. Specs that kill or restart Redis use `startRedisServer()` instead.
 */
export async function sharedRedisUrl(): Promise<string> {
  const url = process.env['BULWARK_REDIS_URL'];
  if (url !== undefined && url !== '') return url;
  requireRedisServer('a real Redis (BULWARK_REDIS_URL, or redis-server to start one)');
  return (shared ??= startRedisServer().then((server) => server.url));
}

/** Throws a clear error when `redis-server` cannot be run; never skips (CI must run these specs). */
function requireRedisServer(what: string): void {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  if (probe.error === undefined && probe.status === 0) return;
  const hint = process.env['CI']
    ? '.ci/run installs it; this CI run did not.'
    : 'install it: `sudo apt-get install redis-server` (Debian/Ubuntu).';
  throw new Error(`These specs need ${what}, and redis-server is not on the PATH: ${hint}`);
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  spawned.add(child);
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-2_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.once('exit', () => spawned.delete(child));
  const exited = new Promise<never>((_, reject) => {
    child.once('exit', (code, signal) => reject(new Error(`redis-server on port ${port} exited (${code ?? signal}) before answering PING:\n${output}`)));
    child.once('error', reject);
  });
  exited.catch(() => undefined);
  try {
    await Promise.race([waitForPing(port), exited]);
  } catch (error) {
    await terminate(child, 'SIGKILL');
    throw error;
  }
  return child;
}

/** Resolves once `PING` on `port` answers `+PONG`; polls every 20 ms for up to 5 s. */
async function waitForPing(port: number): Promise<void> {
  const until = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < until) {
    if (await ping(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms`);
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** Sends `signal` and resolves once the process is gone (SIGKILL after 2 s). */
function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 2_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

/** A port the OS considers free on loopback right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
