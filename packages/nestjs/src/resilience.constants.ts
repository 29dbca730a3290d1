/** Injection token of the resolved `ResilienceModuleOptions`. */
export const RESILIENCE_OPTIONS = Symbol.for('bulwark:resilience-options');

/** Metadata key holding a method's (or class's) resilience specs. */
export const RESILIENCE_METADATA = 'bulwark:resilience';

/** Metadata key set by `@SkipResilience()` on a method (the function) or a class. */
export const SKIP_RESILIENCE_METADATA = 'bulwark:skip';

/** Marks a function as a Bulwark method wrapper (so stacked decorators wrap only once). */
export const RESILIENCE_WRAPPER = 'bulwark:wrapper';

/** Own property of a discovered instance holding its per-application method pipelines. */
export const INSTANCE_PIPELINES = Symbol('bulwark:pipelines');

/** Property of a decorated class's instances into which Nest injects their application's pipelines. */
export const INSTANCE_APPLICATION = Symbol('bulwark:application');

/** Default timeout for `@Timeout()` without arguments: the article's rule for external calls. */
export const DEFAULT_TIMEOUT_MS = 10_000;

/** Default path of the health controller. */
export const DEFAULT_HEALTH_PATH = 'health/resilience';

/**
 * The metadata `@nestjs/swagger`'s `@ApiExcludeController()` sets (value `[true]`), set on
 * Bulwark's own controllers so the application's OpenAPI document leaves them out.
 */
export const OPENAPI_EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';

/** Metadata key set by `@Priority()` on a handler (the function) or a controller class. */
export const PRIORITY_METADATA = 'bulwark:priority';

/** Metadata key on Bulwark's own controllers (health, live view, admin, metrics): load shedding lets them through uncounted. */
export const LOAD_SHEDDING_EXEMPT = 'bulwark:load-shedding-exempt';
