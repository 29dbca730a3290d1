import { AsyncLocalStorage } from 'node:async_hooks';
import { ExecutionScope } from './execution-scope.js';
import '../runtime/single-copy.check.js'; // one copy of this storage per process: warns when a second copy loads

// Context, not policy state: each async call chain sees its own scope, so two applications in one
// process never observe each other's calls through it. Entered only by calls that carry a
// deadline or a cancellation (see `Pipeline`): an application whose calls never do never turns
// the storage on, and on Node 20 and 22 its awaits never pay for the storage's promise hooks.
const scopes = new AsyncLocalStorage<ExecutionScope>();

/**
 * The scope of the operation being invoked right now, for its synchronous part: how a call that
 * carries no deadline and no cancellation still has a scope of its own (a signal that never aborts)
 * for the code that runs before its first `await`, without entering the async-context storage.
 */
let synchronous: ExecutionScope | undefined = undefined;

/**
 * The scope of the innermost running resilient call, or `undefined` outside one. A call that has
 * settled is nobody's parent: code it scheduled that runs afterwards (a timer, an event listener)
 * sees the innermost call still running around it, or none.
 */
export function currentScope(): ExecutionScope | undefined {
  let scope = synchronous ?? scopes.getStore();
  while (scope !== undefined && scope.ended) scope = scope.parent;
  return scope === ExecutionScope.root ? undefined : scope;
}

/**
 * The `AbortSignal` of the innermost running resilient call, or `undefined` outside one. It aborts
 * (with a `TimeoutError` as its reason) when the call times out, including when an outer call's
 * deadline passes first, or when its caller cancels it. A call that carries neither a deadline nor
 * a cancellation (a breaker, retry, bulkhead or fallback alone, at the top level) has a signal that
 * never aborts, seen only until its first `await`: read it at the start, as you pass it on to
 * `fetch`, `HttpService`, database drivers.
 */
export function currentSignal(): AbortSignal | undefined {
  return currentScope()?.signal;
}

/** Whether `scope` is the one stored for the running code (the raw store: an ended scope too). */
export function isCurrentScope(scope: ExecutionScope): boolean {
  return scopes.getStore() === scope;
}

/** Runs `fn` with `scope` as the current scope, in what it schedules too. */
export function runInScope<R>(scope: ExecutionScope, fn: () => R): R {
  return runInScopeWith(scope, call, fn);
}

/** `fn(arg)` with `scope` current, in what it schedules too; without a closure per call. */
export function runInScopeWith<A, R>(scope: ExecutionScope, fn: (arg: A) => R, arg: A): R {
  const outer = synchronous;
  synchronous = undefined;
  try {
    return scopes.run(scope, fn, arg);
  } finally {
    synchronous = outer;
  }
}

/** `fn(arg)` with `scope` current for its synchronous part only (nothing it schedules sees it). */
export function callInScope<A, R>(scope: ExecutionScope, fn: (arg: A) => R, arg: A): R {
  const outer = synchronous;
  synchronous = scope;
  try {
    return fn(arg);
  } finally {
    synchronous = outer;
  }
}

function call<R>(fn: () => R): R {
  return fn();
}
