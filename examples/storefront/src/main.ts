// `npm start`: the downstream services and the storefront, for trying failures by hand.
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ARTICLE_TIMINGS, DEPENDENCIES, type DependencyName, type StorefrontTimings } from './app/storefront.options.js';
import { startStorefront, type RunningStorefront } from './storefront.js';

const logger = new Logger('Storefront');

/** How each downstream can be broken from a terminal, for the banner. */
const BREAK_EXAMPLES: Record<DependencyName, { what: string; body: string }[]> = {
  pricing: [
    { what: 'down', body: '{"down":true}' },
    { what: 'failing', body: '{"errorRate":1}' },
    { what: 'pushback', body: '{"pushback":{"requests":1,"status":503,"retryAfterSec":2}}' },
  ],
  ranking: [
    { what: 'slow', body: '{"latencyMs":5000}' },
    { what: 'flaky', body: '{"errorRate":0.5}' },
    { what: 'spiky', body: '{"jitterMs":20,"slow":{"rate":0.1,"latencyMs":2000}}' },
  ],
  metrics: [
    { what: 'hanging', body: '{"hang":true}' },
    { what: 'down', body: '{"down":true}' },
  ],
};

function readNumber(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function banner(storefront: RunningStorefront, timings: StorefrontTimings): string {
  const base = storefront.url.replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    `Storefront ready on ${base}`,
    '',
    'Try:',
    `  curl -s ${base}/products/1`,
    `  curl -s '${base}/search?q=oak'`,
    `  curl -s ${base}/dashboard`,
    `  curl -s ${base}/health/resilience`,
    `  curl -s -H 'x-request-deadline-ms: 800' ${base}/products/2   (then pricing's /requests: the budget it got)`,
    '',
    'Break and heal the downstreams (each on its own port):',
  ];
  for (const name of DEPENDENCIES) {
    const url = storefront.downstreams[name].url;
    lines.push(`  ${name} (${url})`);
    for (const { what, body } of BREAK_EXAMPLES[name]) {
      lines.push(`    ${`${what}:`.padEnd(10)}curl -s -X POST ${url}/chaos -H 'content-type: application/json' -d '${body}'`);
    }
    lines.push(`    ${'heal:'.padEnd(10)}curl -s -X POST ${url}/chaos/reset`);
    lines.push(`    ${'stats:'.padEnd(10)}curl -s ${url}/stats`);
    lines.push(`    ${'requests:'.padEnd(10)}curl -s ${url}/requests   (arrival, x-request-deadline-ms received, outcome)`);
  }
  lines.push(
    '',
    `Breakers (one per downstream origin) open after 5 consecutive failures and try again after ${timings.recoveryTimeout / 1_000} s` +
      ` (RECOVERY_TIMEOUT_MS=5000 npm start to shorten it);\nevery attempt times out after ${timings.internalTimeout / 1_000} s;` +
      ` a Retry-After is honoured; ranking's slow reads are hedged.`,
    'Breaker transitions are logged below as they happen. Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}

async function main(): Promise<void> {
  const port = readNumber('PORT', 3000, 0, 65_535);
  const host = process.env['HOST'] ?? '127.0.0.1';
  const timings: StorefrontTimings = {
    ...ARTICLE_TIMINGS,
    recoveryTimeout: readNumber('RECOVERY_TIMEOUT_MS', ARTICLE_TIMINGS.recoveryTimeout, 1, 3_600_000),
  };

  let storefront: RunningStorefront;
  try {
    storefront = await startStorefront({ port, host, timings });
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') {
      logger.error(`Port ${port} is in use; start on another one with PORT=3001 npm start`);
    } else {
      logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    process.exitCode = 1;
    return;
  }
  console.log(banner(storefront, timings));

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.log(`${signal}: stopping the storefront and the downstreams`);
    storefront.close().then(
      () => {
        process.exitCode = 0;
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  logger.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
