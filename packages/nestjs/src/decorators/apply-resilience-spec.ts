import { RESILIENCE_METADATA, SKIP_RESILIENCE_METADATA } from '../resilience.constants.js';
import { DECORATOR_NAMES, type ResilienceSpecs, type SpecKind } from './resilience-spec.interface.js';
import { injectApplicationPipelines } from '../pipeline/instance-pipelines.js';
import { wrapMethod } from './wrap-method.js';

type AnyMethod = (...args: unknown[]) => unknown;

/** Nest lifecycle hooks: a class-level decorator never wraps them. */
const LIFECYCLE_HOOKS = new Set([
  'constructor',
  'onModuleInit',
  'onApplicationBootstrap',
  'onModuleDestroy',
  'beforeApplicationShutdown',
  'onApplicationShutdown',
]);

/** Declared return types that cannot be made resilient: a typo'd `async` is caught at load time. */
const PRIMITIVE_WRAPPERS: ReadonlySet<unknown> = new Set([Number, String, Boolean, Symbol, BigInt]);
const SYNC_RETURN_TYPES: ReadonlySet<unknown> = new Set([...PRIMITIVE_WRAPPERS, Array, Map, Set]);

/** The resilience specs recorded on a method (the wrapper) or a class. */
export function getResilienceSpecs(target: object): ResilienceSpecs | undefined {
  return Reflect.getOwnMetadata(RESILIENCE_METADATA, target) as ResilienceSpecs | undefined;
}

/** Whether `@SkipResilience()` marks a method (the function) or a class. */
export function isSkipped(target: object): boolean {
  return Reflect.getOwnMetadata(SKIP_RESILIENCE_METADATA, target) === true;
}

/** The decorators a class-level spec records, for messages: `@CircuitBreaker, @Retry`. */
export function decoratorNames(specs: ResilienceSpecs): string {
  return (Object.keys(specs) as SpecKind[]).map((kind) => DECORATOR_NAMES[kind]).join(', ');
}

/** Builds the decorator for one kind: on a method it wraps it, on a class every eligible method. */
export function createResilienceDecorator<K extends SpecKind>(kind: K, spec: NonNullable<ResilienceSpecs[K]>): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key === undefined) {
      applyToClass(target as AnyMethod, kind, spec);
      return undefined;
    }
    applyToMethod(target, key, descriptor!, kind, spec);
    return descriptor;
  }) as MethodDecorator & ClassDecorator;
}

function applyToMethod(target: object, key: string | symbol, descriptor: PropertyDescriptor, kind: SpecKind, spec: unknown): void {
  const where = `${DECORATOR_NAMES[kind]} on ${describe(target, key)}`;
  if (typeof descriptor?.value !== 'function') {
    throw new TypeError(`${where}: only methods can be decorated (accessors and fields cannot)`);
  }
  const returnType: unknown = Reflect.getMetadata('design:returntype', target, key);
  if (SYNC_RETURN_TYPES.has(returnType)) {
    const type = typeName(returnType as { name: string });
    throw new TypeError(
      `${where}: a resilient method must return a Promise or an Observable, but its declared return type is ` +
        `${type}. Make it async (Promise<${type}>) or return an Observable.`,
    );
  }
  const existing = getResilienceSpecs(descriptor.value);
  if (existing?.[kind] !== undefined) throw new TypeError(`${where}: ${DECORATOR_NAMES[kind]} is applied twice`);
  // A Bulwark wrapper may already sit under another library's wrapper that copied our metadata:
  // then only the metadata grows, and the inner wrapper runs the (complete) pipeline.
  if (existing === undefined) descriptor.value = wrapMethod(descriptor.value as AnyMethod, key);
  Reflect.defineMetadata(RESILIENCE_METADATA, { ...existing, [kind]: spec }, descriptor.value);
  // Static methods have no instances (and are not discovered).
  if (typeof target === 'object') injectApplicationPipelines(target);
}

/**
 * Class-level use, like Nest's own guards: every method that is async (an async function or
 * declared to return a Promise or an Observable) or a route/message handler (it carries Nest
 * metadata) gets the policy; a method-level decorator of the same kind wins. Lifecycle hooks,
 * fallback methods named by `@Fallback('name')` and methods marked `@SkipResilience()` are left
 * alone, and so are plain synchronous helpers, which would otherwise silently start returning
 * Promises.
 */
function applyToClass(cls: AnyMethod, kind: SpecKind, spec: unknown): void {
  const classSpecs = getResilienceSpecs(cls);
  if (classSpecs?.[kind] !== undefined) throw new TypeError(`${DECORATOR_NAMES[kind]} is applied twice to class ${cls.name}`);
  if (isSkipped(cls)) {
    throw new TypeError(`${DECORATOR_NAMES[kind]} on class ${cls.name}, which is marked @SkipResilience(): remove one of them`);
  }
  Reflect.defineMetadata(RESILIENCE_METADATA, { ...classSpecs, [kind]: spec }, cls);
  const proto = cls.prototype as Record<string | symbol, unknown>;
  injectApplicationPipelines(proto);
  const fallbackTargets = fallbackMethodNames(cls, proto);
  for (const key of Reflect.ownKeys(proto)) {
    if (typeof key === 'string' && (LIFECYCLE_HOOKS.has(key) || fallbackTargets.has(key))) continue;
    const descriptor = Object.getOwnPropertyDescriptor(proto, key);
    if (descriptor === undefined || typeof descriptor.value !== 'function') continue;
    if (isSkipped(descriptor.value as object)) continue;
    const existing = getResilienceSpecs(descriptor.value);
    if (existing?.[kind] !== undefined) continue;
    if (existing === undefined && !isResilienceCandidate(proto, key, descriptor.value as AnyMethod)) continue;
    if (existing === undefined) descriptor.value = wrapMethod(descriptor.value as AnyMethod, key);
    Reflect.defineMetadata(RESILIENCE_METADATA, { ...existing, [kind]: spec }, descriptor.value);
    Object.defineProperty(proto, key, descriptor);
  }
}

function isResilienceCandidate(proto: object, key: string | symbol, method: AnyMethod): boolean {
  if (method.constructor?.name === 'AsyncFunction') return true;
  const returnType: unknown = Reflect.getMetadata('design:returntype', proto, key);
  if (returnType === Promise || (typeof returnType === 'function' && returnType.name === 'Observable')) return true;
  if (SYNC_RETURN_TYPES.has(returnType)) return false;
  // Route, message-pattern and resolver handlers carry Nest metadata on the function itself.
  return Reflect.getOwnMetadataKeys(method).length > 0;
}

function fallbackMethodNames(cls: AnyMethod, proto: Record<string | symbol, unknown>): Set<string> {
  const names = new Set<string>();
  const classFallback = getResilienceSpecs(cls)?.fallback?.options.method;
  if (classFallback !== undefined) names.add(classFallback);
  for (const key of Reflect.ownKeys(proto)) {
    const value = Object.getOwnPropertyDescriptor(proto, key)?.value;
    if (typeof value !== 'function') continue;
    const method = getResilienceSpecs(value)?.fallback?.options.method;
    if (method !== undefined) names.add(method);
  }
  return names;
}

/** The type as it was written: `number`, not the `Number` constructor the metadata holds. */
function typeName(type: { name: string }): string {
  return PRIMITIVE_WRAPPERS.has(type) ? type.name.toLowerCase() : type.name;
}

function describe(target: object, key: string | symbol): string {
  const cls = typeof target === 'function' ? target : target.constructor;
  return `${(cls as { name?: string }).name ?? 'anonymous class'}.${String(key)}`;
}
