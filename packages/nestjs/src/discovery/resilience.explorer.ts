import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import {
  addPendingDiscovery,
  ApplicationPipelines,
  attachPipelines,
  bindClass,
  removePendingDiscovery,
  unbindClass,
  type ClassBinding,
  type PipelineTable,
} from '../pipeline/instance-pipelines.js';
import type { MethodPipeline } from '../pipeline/method-pipeline.js';
import { PipelineFactory } from '../pipeline/pipeline.factory.js';
import { classOf, decoratedMethodsOf, type DecoratedMethod, type DiscoveredClass as Class } from './decorated-methods.js';
import { PolicyDeclarations } from './policy-declarations.js';

/**
 * Finds every decorated method of every provider and controller once, at start-up (or at the
 * first decorated call, if another provider's `onModuleInit` makes one earlier), and gives each
 * its composed policy. Static singletons get their table as an own property now; every other
 * instance (request-scoped, transient, created later) finds it at its first call through the
 * `ApplicationPipelines` Nest injected into it, so each is tied to its own application.
 */
@Injectable()
export class ResilienceExplorer implements OnModuleInit, OnModuleDestroy {
  private discovered = false;
  private readonly bindings = new Map<Class, ClassBinding>();
  private readonly discover = (): void => this.discoverOnce();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly factory: PipelineFactory,
    private readonly declarations: PolicyDeclarations,
    private readonly pipelines: ApplicationPipelines,
  ) {
    addPendingDiscovery(this.discover);
    pipelines.discoverWith(this.discover);
  }

  onModuleInit(): void {
    this.discoverOnce();
  }

  onModuleDestroy(): void {
    removePendingDiscovery(this.discover);
    for (const [cls, binding] of this.bindings) unbindClass(cls, binding);
    this.bindings.clear();
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
    const classes = new Map<Class, object[]>();
    for (const wrapper of wrappers) {
      const cls = classOf(wrapper);
      if (cls === undefined) continue;
      const instances = classes.get(cls) ?? [];
      // Static singletons get their table now; other instances at their first call.
      if (wrapper.isDependencyTreeStatic() && !wrapper.isTransient && wrapper.instance) instances.push(wrapper.instance as object);
      classes.set(cls, instances);
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
      this.pipelines.bind(cls, binding.table);
      for (const instance of classes.get(cls)!) attachPipelines(instance, binding.table);
    }
  }
}
