import { AsyncLocalStorage, executionAsyncResource } from 'node:async_hooks';
import { invoke } from '../policy/invoke.js';
import type { Operation } from '../policy/policy.interface.js';
import type { ExecutionScope } from './execution-scope.js';

type Resource = Record<symbol, unknown>;

/**
 * The current scope of each async call chain, kept in an AsyncLocalStorage, with a cheaper way in
 * for the hot path.
 *
 * On Node 20 and 22 an AsyncLocalStorage keeps its value on the current async resource under a
 * symbol of its own, and its promise hook copies that property onto every promise and resource
 * created; `run(store, fn, ...args)` sets the property, calls, and restores it. Around that, `run`
 * looks the resource up a second time (to skip a switch to the store already current), gathers rest
 * arguments and calls through `Reflect.apply`: entering a call's scope that way measured 90-100 ns more
 * per call than setting the property itself (`npm run ab`, both ways round). `invoke` does what `run`
 * does, with one lookup, when the storage has that shape and a probe confirms that writing the
 * property is what `getStore()` reads. Any other implementation (Node 24's AsyncContextFrame keeps
 * no such property) gets `run`, unchanged.
 */
export class ScopeStorage {
  private readonly storage = new AsyncLocalStorage<ExecutionScope>();
  /** The storage's property on async resources, while the direct way in is in use. */
  private slot: symbol | undefined;
  /** Whether the storage is on (its first `run` turns its hook on) and `slot` was probed. */
  private enabled = false;

  /** `direct: false` always uses `run` (tests compare the two ways in). */
  constructor(direct = true) {
    this.slot = direct ? resourceSlotOf(this.storage) : undefined;
  }

  /** Whether `invoke` sets the resource's property itself (known for sure once a call has run). */
  get direct(): boolean {
    return this.slot !== undefined;
  }

  /** The scope of the innermost running call, or `undefined` outside one. */
  current(): ExecutionScope | undefined {
    return this.storage.getStore();
  }

  /** Runs `fn` with `scope` current. */
  run<R>(scope: ExecutionScope, fn: () => R): R {
    return this.storage.run(scope, fn);
  }

  /** `operation(scope)` with `scope` current, its outcome as a promise (see `invoke`). */
  invoke<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    const slot = this.slot;
    if (slot === undefined || !this.enabled) return this.invokeByRun(operation, scope);
    const resource = executionAsyncResource() as Resource;
    const outer = resource[slot];
    resource[slot] = scope;
    try {
      return invoke(operation, scope);
    } finally {
      resource[slot] = outer;
    }
  }

  private invokeByRun<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
    if (!this.enabled && this.slot !== undefined) {
      // The first call turns the storage on, then checks once that the property is the store.
      this.enabled = true;
      if (!this.storage.run(scope, confirmSlot, this.storage, this.slot, scope)) this.slot = undefined;
    }
    return this.storage.run(scope, invoke<T>, operation, scope);
  }
}

/** The property an async_hooks-based AsyncLocalStorage keeps its store under, if it has one. */
function resourceSlotOf(storage: AsyncLocalStorage<unknown>): symbol | undefined {
  const shape = storage as unknown as { kResourceStore?: unknown; _propagate?: unknown };
  return typeof shape.kResourceStore === 'symbol' && typeof shape._propagate === 'function' ? shape.kResourceStore : undefined;
}

/** Inside `storage.run(current, ...)`: the property holds `current`, and writing it changes `getStore()`. */
function confirmSlot(storage: AsyncLocalStorage<ExecutionScope>, slot: symbol, current: ExecutionScope): boolean {
  const resource = executionAsyncResource() as Resource;
  if (resource[slot] !== current) return false;
  const probe = {} as ExecutionScope;
  resource[slot] = probe;
  const seen = storage.getStore() === probe;
  resource[slot] = current;
  return seen;
}
