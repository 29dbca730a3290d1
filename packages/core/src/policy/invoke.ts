import type { ExecutionScope } from '../context/execution-scope.js';
import type { Operation } from './policy.interface.js';

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
