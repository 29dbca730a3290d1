import { EventEmitter, type Event, type FallbackPolicy } from '@bulwark/core';
import { Injectable } from '@nestjs/common';

/**
 * The application's fallback policies. Unlike the other policies they are not shared by name:
 * each `@Fallback` method has its own (named `ClassName.methodName`), created at start-up by the
 * pipeline factory, which registers it here so metrics can read its counters.
 */
@Injectable()
export class FallbackRegistry {
  private readonly policies: FallbackPolicy[] = [];
  private readonly created = new EventEmitter<FallbackPolicy>();

  /** Fires for every fallback policy registered from now on. */
  readonly onCreated: Event<FallbackPolicy> = this.created.event;

  /** @internal called by the pipeline factory for each `@Fallback` method. */
  register(policy: FallbackPolicy): void {
    this.policies.push(policy);
    this.created.emit(policy);
  }

  /** Every fallback policy, in creation order (two classes of the same name may share a name). */
  list(): FallbackPolicy[] {
    return [...this.policies];
  }

  names(): string[] {
    return [...new Set(this.policies.map((policy) => policy.name))];
  }
}
