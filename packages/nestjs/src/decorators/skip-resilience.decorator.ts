import { SKIP_RESILIENCE_METADATA } from '../resilience.constants.js';
import { decoratorNames, getResilienceSpecs } from './apply-resilience-spec.js';

/**
 * Opts out of the policies a method would get from elsewhere; decorators written on the method
 * itself still apply.
 * - On a method: no class-level decorator (`@CircuitBreaker()` on the class) applies to it, and an
 *   override runs without the policies of the base-class method it overrides (`super.m()` included).
 *   `@SkipResilience() @Retry()` on one method: the retry only.
 * - On a class: its instances run the methods they inherit from decorated base classes as
 *   written; methods the class itself decorates keep their policies. A class-level policy
 *   decorator on the same class contradicts it: the class fails to load.
 */
export function SkipResilience(): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key === undefined) {
      const cls = target as { name: string };
      const specs = getResilienceSpecs(cls);
      if (specs !== undefined) {
        throw new TypeError(`@SkipResilience() on class ${cls.name}, which also has ${decoratorNames(specs)}: remove one of them`);
      }
      Reflect.defineMetadata(SKIP_RESILIENCE_METADATA, true, cls);
      return undefined;
    }
    if (typeof descriptor?.value !== 'function') {
      const cls = typeof target === 'function' ? target : target.constructor;
      throw new TypeError(`@SkipResilience() on ${(cls as { name?: string }).name ?? 'anonymous class'}.${String(key)}: only methods and classes can be marked`);
    }
    Reflect.defineMetadata(SKIP_RESILIENCE_METADATA, true, descriptor.value as object);
    return descriptor;
  }) as MethodDecorator & ClassDecorator;
}
