import { currentScope, runInScope } from '../context/current-signal.js';
import { ExecutionScope } from '../context/execution-scope.js';
import type { Operation, PolicyKind, ResiliencePolicy } from './policy.interface.js';

export { invoke } from './invoke.js';

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
