import { currentScope, ExecutionScope, type ResiliencePolicy } from '@bulwark/core';
import { withPolicy } from '@bulwark/core/rxjs';
import { Logger } from '@nestjs/common';
import { defer, isObservable, lastValueFrom, type Observable } from 'rxjs';

type AnyMethod = (...args: unknown[]) => unknown;

/**
 * The composed policies of one decorated method in one application, resolved at start-up.
 * - Promise mode: the call runs through the policies and the wrapper returns their Promise.
 * - Observable mode (declared return type `Observable`): policies apply per subscription; retry
 *   re-subscribes (re-invoking the method, as `defer` does), timeout and unsubscribe abort.
 */
export class MethodPipeline {
  private warnedShape = false;

  constructor(
    /** `ClassName.methodName`, for messages. */
    readonly label: string,
    readonly policy: ResiliencePolicy,
    readonly observable: boolean,
    private readonly logger: Logger,
  ) {}

  invoke(thisArg: unknown, args: unknown[], original: AnyMethod): unknown {
    if (this.observable) {
      return defer(() => original.apply(thisArg, args) as Observable<unknown>).pipe(withPolicy(this.policy, { args, thisArg }));
    }
    return this.policy.run(() => this.call(thisArg, args, original), currentScope() ?? ExecutionScope.root, args, thisArg);
  }

  private call(thisArg: unknown, args: unknown[], original: AnyMethod): unknown {
    const result = original.apply(thisArg, args);
    if (result instanceof Promise) return result;
    return this.adopt(result);
  }

  /**
   * A method that did not declare `Promise` or `Observable` returned something else. Policies are
   * asynchronous, so the caller gets a Promise either way; say so once, loudly, rather than
   * changing a method's shape in silence.
   */
  private adopt(result: unknown): unknown {
    if (isObservable(result)) {
      this.warnOnce(
        `${this.label} returned an Observable but does not declare \`Observable\` as its return type, so ` +
          `Bulwark awaited its last value and returned a Promise. Declare \`: Observable<T>\` to get ` +
          `per-subscription policies and keep returning an Observable.`,
      );
      return lastValueFrom(result, { defaultValue: undefined });
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') return result;
    this.warnOnce(
      `${this.label} returned a plain value; resilient methods always return a Promise. Make it async ` +
        `(or declare Promise<T>) so callers expect one.`,
    );
    return result;
  }

  private warnOnce(message: string): void {
    if (this.warnedShape) return;
    this.warnedShape = true;
    this.logger.warn(message);
  }
}
