// `npm run demo`: the article's failure stories as a scripted outage, end to end over real HTTP,
// in about half a minute, then what the HTTP clients (@bulwark/http) do for each call: a retry
// honouring Retry-After, a deadline passed on, a hedged read. Exits 0 when no client request
// failed, every breaker opened and closed again, and each of the three showed; 1 otherwise.
import 'reflect-metadata';
import type { StorefrontTimings } from './app/storefront.options.js';
import { ConsoleReporter, formatShowcase, formatSummary } from './scenario/console-reporter.js';
import { runHttpShowcase } from './scenario/http-showcase.js';
import { runOutageScenario, type ScenarioTimings } from './scenario/outage-scenario.js';
import { startStorefront } from './storefront.js';

/** The article's numbers, but a 4 s recovery timeout instead of 30 s, so it all fits in a minute. */
const APP_TIMINGS: StorefrontTimings = { recoveryTimeout: 4_000, internalTimeout: 3_000, retryBaseDelay: 100 };

const SCENARIO: ScenarioTimings = {
  tickMs: 250,
  warmupRounds: 8,
  cooldownRounds: 4,
  recoveryTimeout: APP_TIMINGS.recoveryTimeout,
  slowLatencyMs: 5_000,
  stateTimeoutMs: 15_000,
  requestTimeoutMs: 15_000,
};

const WATCHDOG_MS = 120_000;

async function main(): Promise<number> {
  const watchdog = setTimeout(() => {
    console.error(`demo: no result after ${WATCHDOG_MS / 1_000} s, giving up`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const storefront = await startStorefront({ port: 0, timings: APP_TIMINGS, logger: false });
  try {
    const { downstreams } = storefront;
    console.log('Bulwark storefront demo: pricing, ranking and metrics fail in turn under steady traffic.\n');
    console.log(`  storefront  ${storefront.url}`);
    for (const name of ['pricing', 'ranking', 'metrics'] as const) console.log(`  ${name.padEnd(10)}  ${downstreams[name].url}`);
    console.log(
      `\n  Every dependency is called through its @bulwark/http client: a breaker per origin (5 consecutive failures open it,` +
        ` ${APP_TIMINGS.recoveryTimeout / 1_000} s until a trial call;\n  30 s in npm start), retries with exponential backoff` +
        ` and full jitter (100 ms base, x2) on network errors and 5xx, a timeout\n  of ${APP_TIMINGS.internalTimeout / 1_000} s on every attempt,` +
        ` and hedged reads for ranking.\n`,
    );
    const reporter = new ConsoleReporter();
    reporter.header();
    const summary = await runOutageScenario(
      { storefrontUrl: storefront.url, downstreams, breakers: storefront.breakers },
      SCENARIO,
      reporter,
    );
    reporter.flush();
    console.log(`\n${formatSummary(summary)}`);
    const showcase = await runHttpShowcase({ storefrontUrl: storefront.url, downstreams });
    console.log(`\n${formatShowcase(showcase)}`);
    return summary.passed && showcase.passed ? 0 : 1;
  } finally {
    await storefront.close();
    clearTimeout(watchdog);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error('demo failed:', error);
    process.exitCode = 1;
  },
);
