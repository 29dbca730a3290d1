import { sleep } from './sleep.js';

/**
 * What a load loop does with one target: one call, awaited before the next. `n` counts this target's
 * calls from 0; `position` is the target's index in the list. It should not reject: a rejection ends
 * that target's loop and `stop()` rethrows it.
 */
export type LoadCall<T> = (target: T, n: number, position: number) => Promise<void>;

/**
 * Steady traffic: each target gets `call` in its own loop, one call at a time, one every `intervalMs`
 * (or right after the previous one when it took longer). The loops start staggered over one interval
 * so the targets are not called in lockstep.
 */
export class LoadLoop<T> {
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly targets: readonly T[],
    private readonly intervalMs: number,
    private readonly call: LoadCall<T>,
  ) {}

  start(): this {
    this.running = true;
    this.loops = this.targets.map((target, position) => this.loop(target, position));
    return this;
  }

  /** Stops the loops and waits for the calls in flight. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(target: T, position: number): Promise<void> {
    await sleep((position * this.intervalMs) / this.targets.length);
    for (let n = 0; this.running; n++) {
      const start = Date.now();
      await this.call(target, n, position);
      const wait = this.intervalMs - (Date.now() - start);
      if (wait > 0) await sleep(wait);
    }
  }
}
