import type { OutcomeWindow } from './outcome-window.interface.js';

/** Buckets per window: the window slides in steps of a tenth of its duration. */
export const TIME_WINDOW_BUCKETS = 10;

/**
 * The outcomes of the last `durationMs`, in `TIME_WINDOW_BUCKETS` buckets of `span = durationMs / 10`
 * each. Bucket `e` holds the calls observed at clock times in `[e * span, (e + 1) * span)`; the
 * window holds the current bucket and the nine before it, so a call counts for more than 9/10 of
 * `durationMs` and never longer than `durationMs`. Stale buckets are dropped when the window is
 * next touched, so no timer is ever needed.
 */
export class TimeWindow implements OutcomeWindow {
  total = 0;
  failures = 0;
  slow = 0;
  private readonly span: number;
  private readonly totals = new Uint32Array(TIME_WINDOW_BUCKETS);
  private readonly failureCounts = new Uint32Array(TIME_WINDOW_BUCKETS);
  private readonly slowCounts = new Uint32Array(TIME_WINDOW_BUCKETS);
  /** Epoch (bucket number) of the newest bucket; buckets older than 9 epochs before it are empty. */
  private head = -Infinity;

  constructor(readonly durationMs: number) {
    this.span = durationMs / TIME_WINDOW_BUCKETS;
  }

  record(failure: boolean, slow: boolean, now: number): void {
    this.refresh(now);
    const slot = this.slotOf(this.head);
    this.totals[slot]!++;
    this.total++;
    if (failure) {
      this.failureCounts[slot]!++;
      this.failures++;
    }
    if (slow) {
      this.slowCounts[slot]!++;
      this.slow++;
    }
  }

  refresh(now: number): void {
    const epoch = Math.floor(now / this.span);
    const head = this.head;
    // A clock that steps back (wall time) files calls into the newest bucket rather than the past.
    if (epoch <= head) return;
    this.head = epoch;
    if (epoch - head >= TIME_WINDOW_BUCKETS) {
      this.clearBuckets();
      return;
    }
    for (let e = head + 1; e <= epoch; e++) this.dropBucket(this.slotOf(e));
  }

  clear(): void {
    this.clearBuckets();
    this.head = -Infinity;
  }

  private slotOf(epoch: number): number {
    const slot = epoch % TIME_WINDOW_BUCKETS;
    return slot < 0 ? slot + TIME_WINDOW_BUCKETS : slot;
  }

  private dropBucket(slot: number): void {
    this.total -= this.totals[slot]!;
    this.failures -= this.failureCounts[slot]!;
    this.slow -= this.slowCounts[slot]!;
    this.totals[slot] = 0;
    this.failureCounts[slot] = 0;
    this.slowCounts[slot] = 0;
  }

  private clearBuckets(): void {
    this.totals.fill(0);
    this.failureCounts.fill(0);
    this.slowCounts.fill(0);
    this.total = 0;
    this.failures = 0;
    this.slow = 0;
  }
}
