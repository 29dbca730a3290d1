import type { PrometheusRegistry } from '../observability-options.interface.js';
import { isBulwarkMetric, type RegisteredMetric } from './prometheus-metrics.js';

interface Claim {
  readonly owner: object;
  readonly metrics: readonly RegisteredMetric[];
}

/** Applications that registered Bulwark's metrics in a registry, the most recent last. */
const claims = new WeakMap<PrometheusRegistry, Claim[]>();

/**
 * Registers an application's metrics. A registry shared by several applications (prom-client's
 * default `register`, in tests that boot several apps) reports the most recently started one:
 * its metrics replace the previous application's instead of throwing, and when it closes the
 * previous (still running) application's come back. A metric of the same name that Bulwark did
 * not register is a real conflict and fails start-up.
 * Returns true when the metrics replaced another application's.
 */
export function claimRegistry(registry: PrometheusRegistry, owner: object, metrics: readonly RegisteredMetric[]): boolean {
  for (const metric of metrics) {
    const existing = registry.getSingleMetric(metric.name);
    if (existing !== undefined && !isBulwarkMetric(existing)) {
      throw new Error(
        `ResilienceModule metrics: the prom-client registry already has a metric named "${metric.name}" that Bulwark did not ` +
          `register; remove it or give Bulwark a registry of its own (metrics.registry).`,
      );
    }
  }
  const stack = claims.get(registry) ?? [];
  claims.set(registry, stack);
  const replaced = metrics.some((metric) => registry.getSingleMetric(metric.name) !== undefined);
  stack.push({ owner, metrics });
  install(registry, metrics);
  return replaced;
}

/** Removes an application's metrics; the previous application still running gets the registry back. */
export function releaseRegistry(registry: PrometheusRegistry, owner: object): void {
  const stack = claims.get(registry);
  const index = stack?.findIndex((claim) => claim.owner === owner) ?? -1;
  if (stack === undefined || index < 0) return;
  const [claim] = stack.splice(index, 1);
  if (index !== stack.length) return; // not the one reporting: nothing registered to remove
  for (const { name, metric } of claim!.metrics) {
    if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
  }
  const previous = stack.at(-1);
  if (previous !== undefined) install(registry, previous.metrics);
}

function install(registry: PrometheusRegistry, metrics: readonly RegisteredMetric[]): void {
  for (const { name, metric } of metrics) {
    const existing = registry.getSingleMetric(name);
    if (existing === metric) continue;
    // A user's metric registered since: never clobber it (start-up checked there was none then).
    if (existing !== undefined && !isBulwarkMetric(existing)) continue;
    if (existing !== undefined) registry.removeSingleMetric(name);
    registry.registerMetric(metric as never);
  }
}
