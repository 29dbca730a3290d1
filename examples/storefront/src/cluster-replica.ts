// One replica of the storefront for `npm run demo:cluster`, started by the demo as a child process.
// Environment: PRICING_URL, RANKING_URL, METRICS_URL (the shared downstreams), REDIS_URL (no store
// without it), ADMIN_TOKEN, REPLICA (its id), RECOVERY_TIMEOUT_MS. Listens on a free loopback port.
// stdout carries JSON lines only: {"event":"ready","port":...} once listening, then one
// {"event":"state","name","from","to","reason","at"} per breaker transition (`at`: Date.now()).
import 'reflect-metadata';
import { createStorefrontApp } from './app/storefront.module.js';
import { ARTICLE_TIMINGS } from './app/storefront.options.js';
import { AdminTokenGuard } from './cluster/admin-token.guard.js';
import { sharedBreakers, type SharedBreakers } from './cluster/shared-breakers.js';

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const redisUrl = process.env['REDIS_URL'];
  const shared: SharedBreakers | undefined = redisUrl ? sharedBreakers(redisUrl) : undefined;
  const app = await createStorefrontApp({
    downstreams: { pricing: env('PRICING_URL'), ranking: env('RANKING_URL'), metrics: env('METRICS_URL') },
    timings: { ...ARTICLE_TIMINGS, recoveryTimeout: Number(process.env['RECOVERY_TIMEOUT_MS'] ?? ARTICLE_TIMINGS.recoveryTimeout) },
    logger: ['error'],
    ...(shared === undefined ? {} : { store: shared.store }),
    admin: { guard: new AdminTokenGuard(env('ADMIN_TOKEN')) },
    onBreakerStateChange: ({ name, from, to, reason }) => emit({ event: 'state', name, from, to, reason, at: Date.now() }),
  });
  await app.listen(0, '127.0.0.1');
  emit({ event: 'ready', port: (app.getHttpServer().address() as { port: number }).port });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 2_000).unref();
    app
      .close()
      .catch(() => undefined)
      .finally(() => {
        shared?.disconnect();
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`replica ${process.env['REPLICA'] ?? '?'}:`, error);
  process.exit(1);
});
