/**
 * The storefront of the overload benchmark in its own process: boots one variant
 * (`--variant=no-limit|static|adaptive`, `--max-concurrent=N` for the static one) against the
 * downstream at `--downstream=URL`, reports its port, answers probes with the adaptive bulkhead's
 * snapshot and its own CPU time, serves until told to stop.
 */
import { numberParam, sendToParent, stringParam, waitForParent, type SuiteMessage, type SuiteParams } from '../lib/suite-protocol.js';
import { OVERLOAD_VARIANTS, type OverloadVariant } from '../lib/overload-variant.js';

export interface OverloadAppProbe {
  readonly cpuUs: number;
  /** The adaptive bulkhead's limit now (adaptive variant only). */
  readonly limit?: number;
}

export interface OverloadAppReady {
  readonly port: number;
}

export async function run(params: SuiteParams): Promise<{ served: true }> {
  const variant = stringParam(params, 'variant') as OverloadVariant;
  if (!OVERLOAD_VARIANTS.includes(variant)) throw new Error(`--variant must be one of ${OVERLOAD_VARIANTS.join(', ')} (got ${variant})`);
  const maxConcurrent = variant === 'static' ? numberParam(params, 'max-concurrent', 16) : undefined;
  const { bootStorefront } = await import('../cases/storefront-bench.app.js');
  const { port, adaptiveLimit } = await bootStorefront({ variant, downstreamUrl: stringParam(params, 'downstream'), maxConcurrent });
  process.on('message', (message: SuiteMessage) => {
    if (message?.type !== 'probe') return;
    const usage = process.cpuUsage();
    const probe: OverloadAppProbe = { cpuUs: usage.user + usage.system, ...(variant === 'adaptive' ? { limit: adaptiveLimit() } : {}) };
    void sendToParent({ type: 'probe', data: probe });
  });
  const stopped = waitForParent('stop');
  const ready: OverloadAppReady = { port };
  await sendToParent({ type: 'ready', data: ready });
  await stopped;
  // No app.close(): without a limit thousands of calls are still waiting on the downstream, and
  // the runner exits the process anyway.
  return { served: true };
}
