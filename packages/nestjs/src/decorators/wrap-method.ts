import { INSTANCE_PIPELINES } from '../resilience.constants.js';
import { resolveInstancePipelines, type PipelineTable } from '../pipeline/instance-pipelines.js';
import { copyMethodMetadata } from './copy-method-metadata.js';

type AnyMethod = (...args: unknown[]) => unknown;

/**
 * Wraps a decorated method once. The wrapper keeps `name`, `length` and every metadata key of the
 * original, and per call reads the instance's pipeline table (an own property set at discovery):
 * no name lookup, no map. Outside a Bulwark application the original runs as is.
 */
export function wrapMethod(original: AnyMethod, key: string | symbol): AnyMethod {
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    if (this === null || (typeof this !== 'object' && typeof this !== 'function')) return original.apply(this, args);
    const table = (this as { [INSTANCE_PIPELINES]?: PipelineTable })[INSTANCE_PIPELINES] ?? resolveInstancePipelines(this);
    const pipeline = table?.[key];
    return pipeline === undefined ? original.apply(this, args) : pipeline.invoke(this, args, original);
  };
  Object.defineProperty(wrapper, 'name', { value: original.name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: original.length, configurable: true });
  copyMethodMetadata(original, wrapper);
  return wrapper;
}
