import type { ExecutionScope } from '../context/execution-scope.js';
import { BasePolicy } from '../policy/base.policy.js';
import type { Operation } from '../policy/policy.interface.js';
import { Pipeline } from './pipeline.js';
import { PIPELINE_STAGE } from './pipeline-stages.js';

/**
 * One of Bulwark's own policies: a stage of the execution engine (see `Pipeline`). Used alone, it
 * runs through a pipeline of its own; composed, through the composition's.
 */
export abstract class PipelinePolicy extends BasePolicy {
  /** @internal Marks the policy as a stage the engine runs itself. */
  readonly [PIPELINE_STAGE] = true as const;
  private ownPipeline: Pipeline | undefined = undefined;

  run<T>(operation: Operation<T>, scope: ExecutionScope, args?: readonly unknown[], thisArg?: unknown): Promise<T> {
    // Built on the first call: the policy is complete by then, whatever its subclass initialises.
    return (this.ownPipeline ??= new Pipeline([this])).run(operation, scope, args, thisArg);
  }
}
