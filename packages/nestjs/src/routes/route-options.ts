import type { ResilienceModuleAsyncOptions, ResilienceModuleOptions } from '../options/resilience-options.interface.js';
import { optionsEqual } from '../options/options-equal.js';

/** The options that decide which routes the module mounts: known when the module is defined. */
export type RouteOptions = Pick<ResilienceModuleOptions, 'health' | 'live' | 'admin' | 'metrics' | 'openApi'>;

/** What `forRootAsync` was given statically: its routes are declared from this, before the factory runs. */
export function staticRouteOptions(asyncOptions: ResilienceModuleAsyncOptions): RouteOptions {
  const { health, live, admin, metrics, openApi } = asyncOptions;
  return { health, live, admin, metrics, openApi };
}

/**
 * Checks that an async options factory agrees with the routes already declared: it may repeat
 * `health`, `live`, `admin` and `openApi` but not change them, since a controller cannot be
 * removed once declared, and one mounted in vain would still answer (404) and show in OpenAPI
 * documents. The one change it may make is `health.path` when none was given statically (routes
 * are registered after the factory ran: the controllers move). `metrics` is checked with the
 * metrics settings.
 */
export function checkFactoryRouteOptions(declared: RouteOptions, fromFactory: ResilienceModuleOptions): void {
  const health = fromFactory.health;
  if (health !== undefined && !(declared.health === undefined ? health !== false : optionsEqual(health, declared.health))) {
    throw mismatch('health', health, declared.health);
  }
  if (fromFactory.live !== undefined && !optionsEqual(fromFactory.live, declared.live ?? false)) throw mismatch('live', fromFactory.live, declared.live);
  if (fromFactory.admin !== undefined && !optionsEqual(fromFactory.admin, declared.admin)) throw mismatch('admin', fromFactory.admin, declared.admin);
  if (fromFactory.openApi !== undefined && fromFactory.openApi !== (declared.openApi ?? false)) {
    throw mismatch('openApi', fromFactory.openApi, declared.openApi);
  }
}

/** The factory's options with the declared route options in force. */
export function withDeclaredRoutes(fromFactory: ResilienceModuleOptions, declared: RouteOptions): ResilienceModuleOptions {
  const merged: ResilienceModuleOptions = { ...fromFactory };
  if (declared.health !== undefined) merged.health = declared.health;
  if (declared.live !== undefined) merged.live = declared.live;
  if (declared.admin !== undefined) merged.admin = declared.admin;
  if (declared.openApi !== undefined) merged.openApi = declared.openApi;
  return merged;
}

function mismatch(option: string, fromFactory: unknown, declared: unknown): Error {
  const given = declared === undefined ? 'not given to forRootAsync itself' : 'given differently to forRootAsync itself';
  return new Error(
    `ResilienceModule.forRootAsync: \`${option}\` came from the options factory (${describe(fromFactory)}) but was ${given}. ` +
      `It decides which routes are mounted, and routes are declared before the factory runs: pass it to ` +
      `ResilienceModule.forRootAsync({ ${option}: ..., useFactory }) instead.`,
  );
}

function describe(value: unknown): string {
  if (value === false || value === true) return String(value);
  return 'an object';
}
