import { redisServerVersion, startRedisServer } from '@bulwark/local-cluster';

/** A Redis for the store case: `BULWARK_REDIS_URL`, else a `redis-server` spawned here, else none. */
export interface BenchRedis {
  readonly url: string;
  stop(): Promise<void>;
}

export async function benchRedis(): Promise<BenchRedis | undefined> {
  const given = process.env['BULWARK_REDIS_URL'];
  if (given) return { url: given, stop: async () => undefined };
  if (redisServerVersion() === undefined) return undefined;
  try {
    const server = await startRedisServer();
    return { url: server.url, stop: () => server.stop() };
  } catch {
    return undefined; // the row says n/a, as without redis-server
  }
}
