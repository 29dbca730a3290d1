import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { getResilienceSpecs } from '../decorators/apply-resilience-spec.js';
import type { ResilienceSpecs } from '../decorators/resilience-spec.interface.js';
import {
  addPendingDiscovery,
  attachPipelines,
  bindClass,
  followScopedInstances,
  removePendingDiscovery,
  unbindClass,
  type ClassBinding,
  type PipelineTable,
  type ScopedInstanceSource,
} from '../pipeline/instance-pipelines.js';
import type { MethodPipeline } from '../pipeline/method-pipeline.js';
import { PipelineFactory, type DecoratedMethod } from '../pipeline/pipeline.factory.js';

type Class = { name: string; prototype: object };

/**
 * Finds every decorated method of every provider and controller once, at start-up (or at the
 * first decorated call, if another provider's `onModuleInit` makes one earlier), and gives each
 * its composed policy. Singletons get their table as an own property; request-scoped and
 * transient instances get it from their wrapper as Nest creates them, so each is tied to its own
 * application.
 */
@Injectable()
export class ResilienceExplorer implements OnModuleInit, OnModuleDestroy {
  private discovered = false;
  private readonly bindings = new Map<Class, ClassBinding>();
  private readonly unfollows: (() => void)[] = [];
  private readonly discover = (): void => this.discoverOnce();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly factory: PipelineFactory,
  ) {
    addPendingDiscovery(this.discover);
  }

  onModuleInit(): void {
    this.discoverOnce();
  }

  onModuleDestroy(): void {
    removePendingDiscovery(this.discover);
    for (const [cls, binding] of this.bindings) unbindClass(cls, binding);
    this.bindings.clear();
    for (const unfollow of this.unfollows.splice(0)) unfollow();
  }

  /** Every class this application resolved pipelines for, with its table (for tests and tools). */
  tables(): ReadonlyMap<Class, PipelineTable> {
    return new Map([...this.bindings].map(([cls, binding]) => [cls, binding.table]));
  }

  private discoverOnce(): void {
    if (this.discovered) return;
    this.discovered = true;
    removePendingDiscovery(this.discover);
    const wrappers = [...this.discovery.getControllers(), ...this.discovery.getProviders()];
    const classes = new Map<Class, { instances: object[]; scoped: ScopedInstanceSource[] }>();
    for (const wrapper of wrappers) {
      const cls = classOf(wrapper);
      if (cls === undefined) continue;
      const entry = classes.get(cls) ?? { instances: [], scoped: [] };
      // Static singletons get their table directly; other scopes get it per instance, from their wrapper.
      if (wrapper.isDependencyTreeStatic() && !wrapper.isTransient && wrapper.instance) entry.instances.push(wrapper.instance as object);
      else entry.scoped.push(wrapper);
      classes.set(cls, entry);
    }
    const methods: DecoratedMethod[] = [];
    for (const cls of classes.keys()) {
      for (const key of this.methodKeys(cls.prototype)) {
        const specs = decoratedSpecs(cls.prototype, key);
        if (specs !== undefined) methods.push({ cls, key, specs });
      }
    }
    const tables = new Map<Class, Record<string | symbol, MethodPipeline>>();
    for (const method of [...methods].sort(PipelineFactory.byOverridesFirst)) {
      const table = tables.get(method.cls) ?? {};
      table[method.key] = this.factory.create(method);
      tables.set(method.cls, table);
    }
    for (const [cls, table] of tables) {
      const binding: ClassBinding = { table: Object.freeze(table) };
      bindClass(cls, binding);
      this.bindings.set(cls, binding);
      const entry = classes.get(cls)!;
      for (const instance of entry.instances) attachPipelines(instance, binding.table);
      for (const source of entry.scoped) this.unfollows.push(followScopedInstances(source, binding.table));
    }
  }

  private methodKeys(proto: object): (string | symbol)[] {
    const keys: (string | symbol)[] = this.scanner.getAllMethodNames(proto);
    for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      for (const symbol of Object.getOwnPropertySymbols(p)) {
        if (typeof Object.getOwnPropertyDescriptor(p, symbol)?.value === 'function' && !keys.includes(symbol)) keys.push(symbol);
      }
    }
    return keys;
  }
}

/**
 * The specs of the most derived decorated implementation of `key`. An override that is not itself
 * decorated (`override get() { log(); return super.get(); }`) still reaches the decorated one
 * through `super`, whose wrapper looks the pipeline up on the instance: it must be there.
 */
function decoratedSpecs(proto: object, key: string | symbol): ResilienceSpecs | undefined {
  for (let p: object | null = proto; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    const value: unknown = Object.getOwnPropertyDescriptor(p, key)?.value;
    const specs = typeof value === 'function' ? getResilienceSpecs(value) : undefined;
    if (specs !== undefined) return specs;
  }
  return undefined;
}

function classOf(wrapper: { metatype: unknown; instance: unknown; inject?: unknown }): Class | undefined {
  // Factory providers have the factory as metatype; their instance's constructor is the class.
  const fromMetatype = typeof wrapper.metatype === 'function' && !wrapper.inject ? wrapper.metatype : undefined;
  const fromInstance = wrapper.instance !== null && typeof wrapper.instance === 'object' ? wrapper.instance.constructor : undefined;
  const cls = (fromMetatype ?? fromInstance) as Class | undefined;
  if (cls === undefined || typeof cls !== 'function' || cls === Object) return undefined;
  return cls;
}
