import { Inject, Injectable, Optional } from '@nestjs/common';
import { INSTANCE_APPLICATION, INSTANCE_PIPELINES } from '../resilience.constants.js';
import type { MethodPipeline } from './method-pipeline.js';

/** The resolved pipelines of one class in one application, by method name. */
export type PipelineTable = Readonly<Record<string | symbol, MethodPipeline | undefined>>;

/** How an application resolves the pipelines of a class it discovered. */
export interface ClassBinding {
  readonly table: PipelineTable;
}

/**
 * The pipelines of one application, by discovered class. Nest injects it into every instance of a
 * decorated class it creates (see `injectApplicationPipelines`), whatever its scope: a request-scoped
 * or transient instance, created long after discovery, finds its own application's policies through
 * it, even when several live applications in one process share the class.
 */
@Injectable()
export class ApplicationPipelines {
  private readonly tables = new Map<object, PipelineTable>();
  private discover: () => void = noop;

  /** Set by the application's explorer: a call before discovery makes it discover first. */
  discoverWith(discover: () => void): void {
    this.discover = discover;
  }

  bind(cls: object, table: PipelineTable): void {
    this.tables.set(cls, table);
  }

  /** The table of `instance`'s class in this application, if it discovered the class. */
  tableOf(instance: object): PipelineTable | undefined {
    this.discover();
    return this.tables.get((instance as { constructor?: unknown }).constructor as object);
  }
}

/**
 * Declares, on the prototype of a decorated class, an optional property dependency on the
 * application's `ApplicationPipelines` (Nest's property injection, `@Optional() @Inject()`), so
 * Nest hands each instance it creates, of any scope, its application's pipelines. Nest assigns the
 * property after construction; the accessor keeps it off the instance's enumerable keys (logs,
 * spreads) and ignores anything but an `ApplicationPipelines` (a testing module's auto-mocker may
 * answer for the missing dependency). Outside a Bulwark application nothing is injected.
 */
export function injectApplicationPipelines(proto: object): void {
  if (INSTANCE_APPLICATION in proto) return;
  Object.defineProperty(proto, INSTANCE_APPLICATION, {
    configurable: true,
    enumerable: false,
    get: () => undefined,
    set(this: object, value: unknown) {
      if (!(value instanceof ApplicationPipelines) || !Object.isExtensible(this)) return;
      Object.defineProperty(this, INSTANCE_APPLICATION, { value, configurable: true, enumerable: false, writable: true });
    },
  });
  Inject(ApplicationPipelines)(proto, INSTANCE_APPLICATION);
  Optional()(proto, INSTANCE_APPLICATION);
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

/** Gives an instance its table: the hot path then reads one own property. */
export function attachPipelines(instance: object, table: PipelineTable): void {
  if (!Object.isExtensible(instance)) return;
  Object.defineProperty(instance, INSTANCE_PIPELINES, { value: table, configurable: true, enumerable: false, writable: true });
}

/**
 * Registers the table of `cls` for instances no application was injected into (built by a
 * `useFactory` provider, or with `new`).
 */
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
 * The slow path, once per instance without its own table yet (a request-scoped or transient
 * instance, a singleton called before discovery). Nest injected its application (see
 * `injectApplicationPipelines`): that application's table, cached on the instance. An instance no
 * application was injected into (built by a factory, or with `new`) uses the application that
 * discovered its class, cached only when there is one such application (with several, the most
 * recently booted one, per call). Undefined outside any application.
 */
export function resolveInstancePipelines(instance: object): PipelineTable | undefined {
  if (pendingDiscoveries.size > 0) {
    for (const discover of [...pendingDiscoveries]) discover();
    const own = (instance as { [INSTANCE_PIPELINES]?: PipelineTable })[INSTANCE_PIPELINES];
    if (own !== undefined) return own;
  }
  const application = (instance as { [INSTANCE_APPLICATION]?: ApplicationPipelines })[INSTANCE_APPLICATION];
  if (application !== undefined) {
    const table = application.tableOf(instance);
    if (table !== undefined) attachPipelines(instance, table);
    return table;
  }
  const cls = (instance as { constructor?: unknown }).constructor;
  if (typeof cls !== 'function') return undefined;
  const bindings = Object.hasOwn(cls, CLASS_BINDINGS) ? (cls as BoundClass)[CLASS_BINDINGS] : undefined;
  const binding = bindings?.[bindings.length - 1];
  if (binding === undefined) return undefined;
  if (bindings!.length === 1) attachPipelines(instance, binding.table);
  return binding.table;
}

function noop(): void {}
