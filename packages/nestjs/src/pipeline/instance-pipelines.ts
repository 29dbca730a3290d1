import { INSTANCE_PIPELINES } from '../resilience.constants.js';
import type { MethodPipeline } from './method-pipeline.js';

/** The resolved pipelines of one class in one application, by method name. */
export type PipelineTable = Readonly<Record<string | symbol, MethodPipeline | undefined>>;

/** How an application resolves the pipelines of a class it discovered. */
export interface ClassBinding {
  readonly table: PipelineTable;
}

const CLASS_BINDINGS = Symbol('bulwark:class-bindings');

type BoundClass = { [CLASS_BINDINGS]?: ClassBinding[] };

/**
 * Explorers that have not run discovery yet. A decorated method called before discovery (from
 * another provider's `onModuleInit`, say) asks them to discover first, so no call slips through
 * unprotected because of hook order.
 */
const pendingDiscoveries = new Set<() => void>();

export function addPendingDiscovery(discover: () => void): void {
  pendingDiscoveries.add(discover);
}

export function removePendingDiscovery(discover: () => void): void {
  pendingDiscoveries.delete(discover);
}

/** Gives a discovered singleton its table: the hot path then reads one own property. */
export function attachPipelines(instance: object, table: PipelineTable): void {
  if (!Object.isExtensible(instance)) return;
  Object.defineProperty(instance, INSTANCE_PIPELINES, { value: table, configurable: true, enumerable: false, writable: true });
}

/** A per-context instance as Nest's `InstanceWrapper` holds it. */
interface InstanceHost {
  instance: unknown;
}

/** The part of Nest's `InstanceWrapper` through which request-scoped and transient instances are stored. */
export interface ScopedInstanceSource {
  setInstanceByContextId(contextId: unknown, host: InstanceHost, inquirerId?: string): void;
  setInstanceByInquirerId(contextId: unknown, inquirerId: string, host: InstanceHost): void;
  getStaticTransientInstances?(): (InstanceHost | undefined)[];
}

/**
 * Gives every instance `source` creates (one per request, one per transient inquirer) the table of
 * the application that owns `source`, as it is created. Resolving it later by class would pick
 * whichever application bound the class last, so two live applications sharing a request-scoped
 * class would share policies. Nest has no creation hook, but it registers the host object of every
 * such instance through these two methods before it constructs the instance into it: the host's
 * `instance` becomes an accessor that attaches the table. Returns a function that stops following.
 */
export function followScopedInstances(source: ScopedInstanceSource, table: PipelineTable): () => void {
  const byContext = source.setInstanceByContextId;
  const byInquirer = source.setInstanceByInquirerId;
  // Another shape of wrapper (a future Nest): instances then resolve their table by class.
  if (typeof byContext !== 'function' || typeof byInquirer !== 'function') return noop;
  for (const host of source.getStaticTransientInstances?.() ?? []) attachToValue(host?.instance, table);
  source.setInstanceByContextId = function (this: ScopedInstanceSource, contextId, host, inquirerId) {
    followHost(host, table);
    return byContext.call(this, contextId, host, inquirerId);
  };
  source.setInstanceByInquirerId = function (this: ScopedInstanceSource, contextId, inquirerId, host) {
    followHost(host, table);
    return byInquirer.call(this, contextId, inquirerId, host);
  };
  return () => {
    source.setInstanceByContextId = byContext;
    source.setInstanceByInquirerId = byInquirer;
  };
}

function noop(): void {}

function followHost(host: InstanceHost | undefined, table: PipelineTable): void {
  if (host === null || typeof host !== 'object') return;
  let instance = host.instance;
  attachToValue(instance, table);
  Object.defineProperty(host, 'instance', {
    configurable: true,
    enumerable: true,
    get: () => instance,
    set: (value: unknown) => {
      instance = value;
      attachToValue(value, table);
    },
  });
}

function attachToValue(value: unknown, table: PipelineTable): void {
  if (value !== null && typeof value === 'object') attachPipelines(value, table);
}

/** Registers the table of `cls` for instances created after discovery (request-scoped, transient). */
export function bindClass(cls: object, binding: ClassBinding): void {
  const target = cls as BoundClass;
  if (!Object.hasOwn(target, CLASS_BINDINGS)) {
    Object.defineProperty(target, CLASS_BINDINGS, { value: [], configurable: true, enumerable: false });
  }
  target[CLASS_BINDINGS]!.push(binding);
}

export function unbindClass(cls: object, binding: ClassBinding): void {
  const bindings = Object.hasOwn(cls, CLASS_BINDINGS) ? (cls as BoundClass)[CLASS_BINDINGS] : undefined;
  if (bindings === undefined) return;
  const index = bindings.indexOf(binding);
  if (index >= 0) bindings.splice(index, 1);
}

/**
 * The slow path, once per instance: an instance without its own table (one created before
 * discovery, or outside Nest's container, e.g. by `moduleRef.create`). Uses the most recently
 * booted application that discovered its class, and caches the table on the instance. Undefined
 * outside any application.
 */
export function resolveInstancePipelines(instance: object): PipelineTable | undefined {
  if (pendingDiscoveries.size > 0) {
    for (const discover of [...pendingDiscoveries]) discover();
    const own = (instance as { [INSTANCE_PIPELINES]?: PipelineTable })[INSTANCE_PIPELINES];
    if (own !== undefined) return own;
  }
  const cls = (instance as { constructor?: unknown }).constructor;
  if (typeof cls !== 'function') return undefined;
  const bindings = Object.hasOwn(cls, CLASS_BINDINGS) ? (cls as BoundClass)[CLASS_BINDINGS] : undefined;
  const binding = bindings?.[bindings.length - 1];
  if (binding === undefined) return undefined;
  attachPipelines(instance, binding.table);
  return binding.table;
}
