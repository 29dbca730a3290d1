import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
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
import { PipelineFactory } from '../pipeline/pipeline.factory.js';
import { classOf, decoratedMethodsOf, type DecoratedMethod, type DiscoveredClass as Class } from './decorated-methods.js';
import { PolicyDeclarations } from './policy-declarations.js';

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
    private readonly declarations: PolicyDeclarations,
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
    const methods: DecoratedMethod[] = [...classes.keys()].flatMap((cls) => decoratedMethodsOf(cls, this.scanner));
    // Every decorator's inline options first: a policy is built with them whichever method names it first.
    this.declarations.settle(methods);
    const tables = new Map<Class, Record<string | symbol, MethodPipeline>>();
    for (const method of methods) {
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
}
