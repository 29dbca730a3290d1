import type { MetadataScanner } from '@nestjs/core';
import { getResilienceSpecs, isSkipped } from '../decorators/apply-resilience-spec.js';
import type { ResilienceSpecs } from '../decorators/resilience-spec.interface.js';

/** A class discovered in the application's container. */
export type DiscoveredClass = { name: string; prototype: object };

/** One decorated method found at start-up. */
export interface DecoratedMethod {
  readonly cls: DiscoveredClass;
  readonly key: string | symbol;
  readonly specs: ResilienceSpecs;
}

/** The part of Nest's `InstanceWrapper` discovery reads. */
export interface ClassSource {
  metatype: unknown;
  instance: unknown;
  inject?: unknown;
}

/**
 * The class behind a provider or controller. Factory providers have the factory as metatype: their
 * class is known only from their instance, once it exists.
 */
export function classOf(wrapper: ClassSource): DiscoveredClass | undefined {
  const fromMetatype = typeof wrapper.metatype === 'function' && !wrapper.inject ? wrapper.metatype : undefined;
  const fromInstance = wrapper.instance !== null && typeof wrapper.instance === 'object' ? wrapper.instance.constructor : undefined;
  const cls = (fromMetatype ?? fromInstance) as DiscoveredClass | undefined;
  if (cls === undefined || typeof cls !== 'function' || cls === Object) return undefined;
  return cls;
}

/** Every decorated method of `cls` (inherited ones included), in the scanner's order. */
export function decoratedMethodsOf(cls: DiscoveredClass, scanner: MetadataScanner): DecoratedMethod[] {
  const methods: DecoratedMethod[] = [];
  for (const key of methodKeys(cls.prototype, scanner)) {
    const specs = decoratedSpecs(cls.prototype, key);
    if (specs !== undefined) methods.push({ cls, key, specs });
  }
  return methods;
}

function methodKeys(proto: object, scanner: MetadataScanner): (string | symbol)[] {
  const keys: (string | symbol)[] = scanner.getAllMethodNames(proto);
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const symbol of Object.getOwnPropertySymbols(p)) {
      if (typeof Object.getOwnPropertyDescriptor(p, symbol)?.value === 'function' && !keys.includes(symbol)) keys.push(symbol);
    }
  }
  return keys;
}

/**
 * The specs of the most derived decorated implementation of `key`. An override that is not itself
 * decorated (`override get() { log(); return super.get(); }`) still reaches the decorated one
 * through `super`, whose wrapper looks the pipeline up on the instance: it must be there. The walk
 * stops at an implementation marked `@SkipResilience()` (its own specs, if any, are the method's)
 * and at a class marked `@SkipResilience()` (nothing above it applies).
 */
function decoratedSpecs(proto: object, key: string | symbol): ResilienceSpecs | undefined {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const value: unknown = Object.getOwnPropertyDescriptor(p, key)?.value;
    const specs = typeof value === 'function' ? getResilienceSpecs(value) : undefined;
    if (specs !== undefined || (typeof value === 'function' && isSkipped(value))) return specs;
    const cls = Object.hasOwn(p, 'constructor') ? (p as { constructor: unknown }).constructor : undefined;
    if (typeof cls === 'function' && isSkipped(cls)) return undefined;
  }
  return undefined;
}
