import { currentScope, runInScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import type { Operation, PolicyKind, ResiliencePolicy } from './policy.interface.js';

/** Shared `execute` for every policy: resolve the scope once, then `run`. */
export abstract class BasePolicy implements ResiliencePolicy {
  abstract readonly kind: PolicyKind | 'composite';
  abstract readonly name: string;

  execute<T>(operation: Operation<T>, signal?: AbortSignal): Promise<T> {
    const parent = currentScope() ?? ExecutionScope.root;
    if (signal === undefined) return this.run(operation, parent);
    const scope = ExecutionScope.fromSignal(signal, parent);
    return runInScope(scope, () => this.run(operation, scope)).finally(() => scope.dispose());
  }

  abstract run<T>(operation: Operation<T>, scope: ExecutionScope, args?: readonly unknown[], thisArg?: unknown): Promise<T>;
}

/**
 * Calls `operation` so that a synchronous throw becomes a rejection and a plain value a resolved
 * promise: policies only ever deal with one shape of outcome.
 */
export function invoke<T>(operation: Operation<T>, scope: ExecutionScope): Promise<T> {
  try {
    const result = operation(scope);
    // Native promises are returned as they are; other thenables are adopted.
    return result instanceof Promise ? result : Promise.resolve(result);
  } catch (error) {
    return Promise.reject(error);
  }
}
