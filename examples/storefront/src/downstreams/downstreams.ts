import type { DependencyName, DownstreamUrls } from '../app/storefront.options.js';
import { ChaosServer } from './chaos-server.js';
import { metricsHandler } from './metrics.downstream.js';
import { pricingHandler } from './pricing.downstream.js';
import { rankingHandler } from './ranking.downstream.js';

/** The three downstream services of the storefront, running in this process. */
export interface Downstreams extends Readonly<Record<DependencyName, ChaosServer>> {
  urls(): DownstreamUrls;
  stop(): Promise<void>;
}

/** Starts pricing, ranking and metrics on free loopback ports. */
export async function startDownstreams(host = '127.0.0.1'): Promise<Downstreams> {
  const servers = {
    pricing: new ChaosServer('pricing', pricingHandler),
    ranking: new ChaosServer('ranking', rankingHandler),
    metrics: new ChaosServer('metrics', metricsHandler),
  };
  const all = Object.values(servers);
  const stop = async (): Promise<void> => {
    await Promise.all(all.map((server) => server.stop()));
  };
  try {
    await Promise.all(all.map((server) => server.start(0, host)));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    ...servers,
    urls: () => ({ pricing: servers.pricing.url, ranking: servers.ranking.url, metrics: servers.metrics.url }),
    stop,
  };
}
