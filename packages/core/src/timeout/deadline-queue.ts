import type { Clock, TimerHandle } from '../clock/clock.js';

/** One pending deadline. `expire` runs at most once, and never after `settle`. */
export interface DeadlineEntry {
  readonly deadline: number;
  settled: boolean;
  /** Where the queue holds the entry (set by `add`; meaningless once `settled`). */
  queueSlot: number;
  expire(): void;
}

/**
 * Deadlines of one timeout policy, served by a single shared timer.
 *
 * Every entry's deadline is `now + duration` with the same duration, so entries arrive in
 * deadline order and a FIFO array is a priority queue. Settling an entry empties its slot (O(1),
 * no clearTimeout, and the queue stops referencing the finished call at once, so calls do not
 * outlive their settlement in memory); empty slots are skipped when the timer fires and dropped
 * by an amortised compaction. The timer is unref'd while nothing is pending, so an idle policy
 * keeps no process alive and wakes at most once more. A setTimeout/clearTimeout pair per call
 * measured ~0.3-1 µs here; this costs an array push and a store.
 */
export class DeadlineQueue {
  /** Slots from `head` on; a settled or expired entry's slot is `undefined`. */
  private entries: (DeadlineEntry | undefined)[] = [];
  private head = 0;
  /** The slot number of `entries[0]` (slot numbers only grow; compaction moves this). */
  private base = 0;
  private pending = 0;
  private timer: TimerHandle | undefined = undefined;
  private timerAt = Infinity;
  private readonly onTimer = (): void => this.expireDue();

  constructor(private readonly clock: Clock) {}

  /** Entries neither settled nor expired. */
  get size(): number {
    return this.pending;
  }

  add(entry: DeadlineEntry): void {
    entry.queueSlot = this.base + this.entries.length;
    this.entries.push(entry);
    if (this.pending++ === 0 && this.timer !== undefined) this.timer.ref();
    if (this.timer === undefined || entry.deadline < this.timerAt) this.arm(entry.deadline);
  }

  /** Marks `entry` settled. Returns false when it had already settled or expired. */
  settle(entry: DeadlineEntry): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    this.entries[entry.queueSlot - this.base] = undefined;
    if (--this.pending === 0) {
      // Every slot is empty now: skip them all (dropping the array only now and then, so
      // one-at-a-time traffic does not reallocate it per call), and let the process exit.
      this.head = this.entries.length;
      if (this.head > 1024) this.reset();
      this.timer?.unref();
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.base += this.head;
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return true;
  }

  private reset(): void {
    this.base += this.entries.length;
    this.entries = [];
    this.head = 0;
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = this.clock.setTimeout(this.onTimer, Math.max(0, deadline - this.clock.now()));
  }

  private expireDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    // The fields are read afresh each turn: `expire` may settle or add entries of this very queue.
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head];
      if (entry === undefined) {
        this.head++;
        continue;
      }
      if (entry.deadline > now) break;
      this.entries[this.head++] = undefined;
      entry.settled = true;
      this.pending--;
      entry.expire();
    }
    // Nothing pending: every slot is empty. Otherwise the loop stopped at the earliest live entry.
    if (this.pending === 0) {
      this.reset();
      return;
    }
    this.arm(this.entries[this.head]!.deadline);
  }
}
