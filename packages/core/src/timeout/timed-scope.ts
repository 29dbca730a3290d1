import { ExecutionScope } from '../context/execution-scope.js';
import type { DeadlineEntry, DeadlineQueue } from './deadline-queue.js';

/**
 * A call racing a deadline: its own cancellation scope (what the operation receives and what
 * `currentSignal()` returns) and its entry in a timeout's deadline queue. Exactly one of three
 * things ends the race: the operation settles, the deadline passes, or an outer scope aborts (its
 * deadline, which the call inherited, or its caller's cancellation). Subclasses say what the
 * last two do; the bookkeeping of who won is here, once.
 */
export abstract class TimedScope extends ExecutionScope implements DeadlineEntry {
  settled = false;
  /** Its slot in the deadline queue (see DeadlineQueue). */
  queueSlot = -1;
  /** What the timeout's `captureContext` returned when the call started. */
  context: unknown = undefined;
  private unfollow: (() => void) | undefined = undefined;

  /** `queue`: the deadline queue holding this call, or undefined when it follows an outer deadline. */
  protected constructor(
    parent: ExecutionScope,
    deadline: number,
    inherited: boolean,
    private readonly queue: DeadlineQueue | undefined,
  ) {
    super(parent, deadline, parent.abortable);
    this.adopt(parent, inherited);
  }

  /** Called by the deadline queue, which has already marked the entry settled. */
  expire(): void {
    this.release();
    this.expired();
  }

  /** The call's own deadline passed first. */
  protected abstract expired(): void;

  /** An outer scope aborted first, with `reason`. */
  protected abstract abandoned(reason: unknown): void;

  /** Ends the race when an outer scope aborts (callers skip this for top-level calls: no listener). */
  followScope(): void {
    this.unfollow = this.onAbort((reason) => {
      if (this.finish()) this.abandoned(reason);
    });
    if (this.settled) this.release();
  }

  /** Wins the race for the call's single outcome; false when something else already did. */
  protected finish(): boolean {
    const queue = this.queue;
    if (queue !== undefined) {
      if (!queue.settle(this)) return false;
    } else {
      if (this.settled) return false;
      this.settled = true;
    }
    this.release();
    return true;
  }

  /** Stops following the outer scope and detaches from it. */
  protected release(): void {
    const unfollow = this.unfollow;
    this.unfollow = undefined;
    unfollow?.();
    this.dispose();
  }
}
