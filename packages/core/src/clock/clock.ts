/** A timer handle as returned by {@link Clock.setTimeout}. */
export interface TimerHandle {
  /** Lets the process exit while the timer is pending (Node semantics). */
  unref(): unknown;
  /** Keeps the process alive while the timer is pending (Node semantics). */
  ref(): unknown;
}

/**
 * The only way policies read time or schedule work. Tests pass a {@link FakeClock} so no spec
 * ever sleeps for real time; production uses {@link systemClock}.
 */
export interface Clock {
  /** Milliseconds, monotonic for the purposes of the policies. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()`-free `Date.now()` so snapshots can print wall time. */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
