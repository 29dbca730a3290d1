import type { ResilienceModuleAsyncOptions, ResilienceModuleOptions } from './resilience-options.interface.js';
import { optionsEqual } from './options-equal.js';

/**
 * The options decided when the module is defined: which routes are mounted (`health`, `live`,
 * `admin`, `metrics.path`, `openApi`), which features are wired, their code loaded (`live`,
 * `admin`, `metrics`, `openTelemetry`, `loadShedding`), and whether the module is global (`isGlobal`).
 */
export type DefinitionOptions = Pick<
  ResilienceModuleOptions,
  'health' | 'live' | 'admin' | 'metrics' | 'openApi' | 'openTelemetry' | 'isGlobal' | 'loadShedding'
>;

/** What `forRootAsync` was given statically: the module is defined from this, before the factory runs. */
export function staticDefinitionOptions(asyncOptions: ResilienceModuleAsyncOptions): DefinitionOptions {
  const { health, live, admin, metrics, openApi, openTelemetry, isGlobal, loadShedding } = asyncOptions;
  return { health, live, admin, metrics, openApi, openTelemetry, isGlobal, loadShedding };
}

/**
 * Checks that an async options factory agrees with the module already defined: it may repeat
 * `health`, `live`, `admin`, `openApi`, `openTelemetry` and `isGlobal` but not change them, since
 * a controller cannot be removed once declared (one mounted in vain would still answer 404 and
 * show in OpenAPI documents), a feature's code is loaded or not by then, and the module is global
 * or not. The one change it may make is `health.path` when none was given statically (routes are
 * registered after the factory ran: the controllers move). `metrics` may come from the factory only
 * when `forRootAsync` was given `metrics` itself (the factory then chooses the registry; the rest
 * is checked with the metrics settings); without `openTelemetry` given statically, the factory may
 * set it (the default, on when `@opentelemetry/api` is installed, decided what was wired).
 * `loadShedding` from the factory must agree with `forRootAsync`'s on whether it is on; its options
 * then tune it.
 */
export function checkFactoryDefinitionOptions(declared: DefinitionOptions, fromFactory: ResilienceModuleOptions): void {
  const health = fromFactory.health;
  if (health !== undefined && !(declared.health === undefined ? health !== false : optionsEqual(health, declared.health))) {
    throw mismatch('health', health, declared.health);
  }
  if (fromFactory.live !== undefined && !optionsEqual(fromFactory.live, declared.live ?? false)) throw mismatch('live', fromFactory.live, declared.live);
  if (fromFactory.admin !== undefined && !optionsEqual(fromFactory.admin, declared.admin)) throw mismatch('admin', fromFactory.admin, declared.admin);
  if (fromFactory.openApi !== undefined && fromFactory.openApi !== (declared.openApi ?? false)) {
    throw mismatch('openApi', fromFactory.openApi, declared.openApi);
  }
  if (fromFactory.isGlobal !== undefined && fromFactory.isGlobal !== (declared.isGlobal ?? true)) {
    throw mismatch('isGlobal', fromFactory.isGlobal, declared.isGlobal);
  }
  if (declared.openTelemetry !== undefined && fromFactory.openTelemetry !== undefined && !optionsEqual(fromFactory.openTelemetry, declared.openTelemetry)) {
    throw mismatch('openTelemetry', fromFactory.openTelemetry, declared.openTelemetry);
  }
  const metrics = fromFactory.metrics;
  if (metrics !== undefined && metrics !== false && (declared.metrics === undefined || declared.metrics === false)) {
    throw mismatch('metrics', metrics, declared.metrics);
  }
  const shedding = fromFactory.loadShedding;
  if (shedding !== undefined && isOn(shedding) !== isOn(declared.loadShedding)) throw mismatch('loadShedding', shedding, declared.loadShedding);
}

/** Whether a `loadShedding` setting turns it on. */
export function isOn(setting: ResilienceModuleOptions['loadShedding']): boolean {
  return setting !== undefined && setting !== false;
}

/** The factory's options with the declared definition options in force. */
export function withDeclaredOptions(fromFactory: ResilienceModuleOptions, declared: DefinitionOptions): ResilienceModuleOptions {
  const merged: ResilienceModuleOptions = { ...fromFactory };
  if (declared.health !== undefined) merged.health = declared.health;
  if (declared.live !== undefined) merged.live = declared.live;
  if (declared.admin !== undefined) merged.admin = declared.admin;
  if (declared.openApi !== undefined) merged.openApi = declared.openApi;
  if (declared.openTelemetry !== undefined) merged.openTelemetry = declared.openTelemetry;
  if (declared.isGlobal !== undefined) merged.isGlobal = declared.isGlobal;
  // The factory tunes load shedding declared here: its options over the declared ones.
  if (isOn(declared.loadShedding)) merged.loadShedding = { ...asObject(declared.loadShedding), ...asObject(fromFactory.loadShedding) };
  return merged;
}

function asObject(setting: ResilienceModuleOptions['loadShedding']): object {
  return typeof setting === 'object' && setting !== null ? setting : {};
}

const DECIDES: Readonly<Record<string, string>> = {
  health: 'It decides which routes are mounted, and routes are declared before the factory runs',
  live: 'It decides which routes are mounted, and routes are declared before the factory runs',
  admin: 'It decides which routes are mounted, and routes are declared before the factory runs',
  openApi: 'It decides which routes are mounted, and routes are declared before the factory runs',
  metrics: 'It decides whether the metrics code is wired (and loaded), which is settled before the factory runs',
  openTelemetry: 'It decides whether the OpenTelemetry code is wired (and loaded), which is settled before the factory runs',
  isGlobal: 'It decides whether the module is global, which is settled before the factory runs',
  loadShedding: 'It decides whether the load-shedding guard is registered (and its code loaded), which is settled before the factory runs',
};

function mismatch(option: string, fromFactory: unknown, declared: unknown): Error {
  const given = declared === undefined ? 'not given to forRootAsync itself' : 'given differently to forRootAsync itself';
  return new Error(
    `ResilienceModule.forRootAsync: \`${option}\` came from the options factory (${describe(fromFactory)}) but was ${given}. ` +
      `${DECIDES[option]}: pass it to ResilienceModule.forRootAsync({ ${option}: ..., useFactory }) instead.`,
  );
}

function describe(value: unknown): string {
  if (value === false || value === true) return String(value);
  return 'an object';
}
