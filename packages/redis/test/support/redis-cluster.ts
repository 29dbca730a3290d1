import { afterAll } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisServerVersion, sleep, startRedisServer, type RedisServer } from '@bulwark/local-cluster';

/** A Redis Cluster of `redis-server` processes this test file started on loopback (no persistence, no replicas). */
export interface RedisClusterHandle {
  /** `host:port` of every node, as `BULWARK_REDIS_CLUSTER_NODES` lists them. */
  readonly nodes: readonly string[];
  /** Stops every node (SIGTERM, then SIGKILL). Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILLs every node: the cluster is gone without a goodbye. */
  kill(): Promise<void>;
}

const NODES = 3;
/** Every cluster this test file started; stopped after its tests. */
const started = new Set<RedisClusterHandle>();
afterAll(async () => {
  await Promise.all([...started].map((cluster) => cluster.stop()));
});

let shared: Promise<readonly string[]> | undefined;

/**
 * The Redis Cluster a spec file may share with other files: `BULWARK_REDIS_CLUSTER_NODES` when set
 * (`.ci/run` starts one), else a cluster started for this test file (stopped after it). Specs
 * sharing a cluster keep apart by key prefix; specs that kill nodes use `startRedisCluster()`.
 */
export function sharedRedisCluster(): Promise<readonly string[]> {
  const nodes = process.env['BULWARK_REDIS_CLUSTER_NODES'];
  if (nodes !== undefined && nodes !== '') return Promise.resolve(nodes.split(','));
  return (shared ??= startRedisCluster().then((cluster) => cluster.nodes));
}

/**
 * Starts `NODES` cluster-enabled `redis-server`s (each on a free port, with a free cluster bus
 * port and its node file in a temporary directory), joins them with `redis-cli --cluster create`
 * (every slot assigned, no replicas) and resolves once every node says `cluster_state:ok`.
 */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  requireRedisTools();
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-cluster-'));
  const servers: RedisServer[] = [];
  const nodes: string[] = [];
  const handle: RedisClusterHandle = {
    nodes,
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      await Promise.all(servers.map((server) => server.kill()));
    },
  };
  started.add(handle);
  for (let i = 0; i < NODES; i++) {
    const server = await startNode(dir, i);
    servers.push(server);
    nodes.push(`127.0.0.1:${server.port}`);
  }
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 30_000 });
  if (created.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${created.stdout}\n${created.stderr}`);
  const until = Date.now() + 20_000;
  while (!servers.every((server) => clusterOk(server.port))) {
    if (Date.now() > until) throw new Error(`the cluster ${nodes.join(',')} did not reach cluster_state:ok`);
    await sleep(50);
  }
  return handle;
}

/** One node: a free port for clients and one for the cluster bus (Redis 7's `--cluster-port`). */
async function startNode(dir: string, index: number): Promise<RedisServer> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const bus = await freePort();
    if (bus === port) continue;
    try {
      return await startRedisServer({
        port,
        args: ['--cluster-enabled', 'yes', '--cluster-port', String(bus), '--cluster-config-file', join(dir, `nodes-${index}-${port}.conf`), '--cluster-node-timeout', '2000', '--dir', dir],
      });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

function clusterOk(port: number): boolean {
  const info = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8', timeout: 5_000 });
  return info.status === 0 && info.stdout.includes('cluster_state:ok');
}

/** Throws a clear error when `redis-server` or `redis-cli` cannot be run; never skips (CI must run these specs). */
function requireRedisTools(): void {
  const cli = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' });
  if (redisServerVersion() !== undefined && cli.error === undefined && cli.status === 0) return;
  const hint = process.env['CI'] ? '.ci/run installs it; this CI run did not.' : 'install it: `sudo apt-get install redis-server` (Debian/Ubuntu; it brings redis-cli).';
  throw new Error(`These specs need a Redis Cluster (BULWARK_REDIS_CLUSTER_NODES, or redis-server and redis-cli to start one), and redis-server or redis-cli is not on the PATH: ${hint}`);
}
