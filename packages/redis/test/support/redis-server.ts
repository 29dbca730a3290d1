import { afterAll } from '@jest/globals';
import { redisServerVersion, startRedisServer as spawnRedisServer, type RedisServer } from '@bulwark/local-cluster';

/** A `redis-server` this process spawned on a loopback port, without persistence (see @bulwark/local-cluster). */
export type RedisServerHandle = RedisServer;

/** Every server started by this test file; stopped after its tests (and killed, at the latest, when the process exits). */
const started = new Set<RedisServerHandle>();

// Registered when a spec imports this module (collection time): no test file can forget it.
afterAll(async () => {
  await Promise.all([...started].map((server) => server.stop()));
});

/**
 * Spawns `redis-server --port <free port> --bind 127.0.0.1 --save "" --appendonly no` and resolves
 * once it answers PING. Throws (with the install hint) when `redis-server` is not on the PATH.
 */
export async function startRedisServer(): Promise<RedisServerHandle> {
  requireRedisServer('a redis-server of their own (they kill and restart it)');
  const server = await spawnRedisServer();
  started.add(server);
  return server;
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
  if (redisServerVersion() !== undefined) return;
  const hint = process.env['CI']
    ? '.ci/run installs it; this CI run did not.'
    : 'install it: `sudo apt-get install redis-server` (Debian/Ubuntu).';
  throw new Error(`These specs need ${what}, and redis-server is not on the PATH: ${hint}`);
}
