import type { Clock, TimerHandle } from '../clock/clock.js';

/** One pending deadline. `expire` runs at most once, and never after `settle`. */
export interface DeadlineEntry {
  readonly deadline: number;
  settled: boolean;
  /** Where the queue holds the entry (set by `add`; meaningless once `settled`). */
  queueSlot: number;
  expire(): void;
}

/** Beyond this many slots, an emptied queue lets its array go rather than keep a burst's worth of memory. */
const KEPT_CAPACITY = 4096;

/**
 * Deadlines of one timeout policy, served by a single shared timer.
 *
 * Every entry's deadline is `now + duration` with the same duration, so entries arrive in
 * deadline order and a FIFO array is a priority queue. Settling an entry empties its slot (O(1),
 * no clearTimeout, and the queue stops referencing the finished call at once, so calls do not
 * outlive their settlement in memory); empty slots are skipped when the timer fires and dropped
 * by an amortised compaction. Once nothing is pending the queue starts again from the array's
 * first slot, so one-at-a-time traffic writes into the same slots without growing or reallocating
 * the array. A setTimeout/clearTimeout pair per call measured ~0.3-1 µs here; this costs a store.
 *
 * Keeping the process alive: a pending call keeps the process alive until its deadline, as a timer
 * of its own would, and an idle policy keeps nothing alive. The shared timer is ref'd while any
 * call is pending and unref'd when the last one settles; nothing else (no 'beforeExit' hook, which
 * test runners and applications use themselves) is involved.
 */
export class DeadlineQueue {
  /** Slots `head` to `tail`; a settled or expired entry's slot is `undefined`. */
  private entries: (DeadlineEntry | undefined)[] = [];
  private head = 0;
  private tail = 0;
  /** The slot number of `entries[0]` (slot numbers only grow; rewinding and compaction move this). */
  private base = 0;
  private pending = 0;
  private timer: TimerHandle | undefined = undefined;
  private timerAt = Infinity;
  /** Whether the timer is ref'd (it then keeps the process alive): exactly while entries are pending. */
  private refed = false;
  private readonly onTimer = (): void => this.expireDue();

  constructor(private readonly clock: Clock) {}

  /** Entries neither settled nor expired. */
  get size(): number {
    return this.pending;
  }

  add(entry: DeadlineEntry): void {
    const tail = this.tail;
    entry.queueSlot = this.base + tail;
    this.entries[tail] = entry;
    this.tail = tail + 1;
    if (this.pending++ === 0 && this.timer !== undefined) this.setRef(true);
    if (this.timer === undefined || entry.deadline < this.timerAt) this.arm(entry.deadline);
  }

  /** Marks `entry` settled. Returns false when it had already settled or expired. */
  settle(entry: DeadlineEntry): boolean {
    if (entry.settled) return false;
    entry.settled = true;
    this.entries[entry.queueSlot - this.base] = undefined;
    if (--this.pending === 0) {
      // Every slot is empty: start again from the first one, and let the process exit.
      this.rewind();
      if (this.refed) this.setRef(false);
    } else if (this.head > 1024 && this.head * 2 > this.tail) {
      this.compact();
    }
    return true;
  }

  private setRef(refed: boolean): void {
    this.refed = refed;
    if (refed) this.timer!.ref();
    else this.timer?.unref();
  }

  /** Nothing pending: later entries reuse the slots from the first on. */
  private rewind(): void {
    this.base += this.tail;
    this.head = 0;
    this.tail = 0;
    if (this.entries.length > KEPT_CAPACITY) this.entries = [];
  }

  /** Moves the live part of the queue to the front of the array once most of it is behind `head`. */
  private compact(): void {
    const { entries, head, tail } = this;
    entries.copyWithin(0, head, tail);
    entries.fill(undefined, tail - head, tail);
    this.base += head;
    this.tail = tail - head;
    this.head = 0;
  }

  private arm(deadline: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timerAt = deadline;
    const timer = this.clock.setTimeout(this.onTimer, Math.max(0, deadline - this.clock.now()));
    this.timer = timer;
    // Timers start ref'd, and arming means something is pending.
    this.refed = true;
  }

  private expireDue(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    // The fields are read afresh each turn: `expire` may settle or add entries of this very queue.
    while (this.head < this.tail) {
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
    if (this.pending > 0) {
      // Every slot before `head` is empty; the loop stopped at the earliest live entry.
      this.arm(this.entries[this.head]!.deadline);
      return;
    }
    this.rewind();
    // An `expire` may have added an entry that settled at once: its timer runs out (unref'd, as
    // settling the last entry unrefs) and cleans up then.
    if (this.timer !== undefined) return;
    this.refed = false;
  }
}
