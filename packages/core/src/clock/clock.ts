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
  /**
   * Milliseconds on a monotonic scale: deadlines, recovery times and durations are measured on it,
   * so a step of the wall clock (NTP, a VM resumed, an operator's `date -s`) never moves them.
   */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
  /**
   * Optional: the wall-clock time (epoch milliseconds) of `time`, a reading of `now()`, for what
   * people read (health `openedAt`, event times). Without it, `now()` readings are shown as they are.
   */
  toWallTime?(time: number): number;
}

/**
 * The real clock: `performance.now()` for every measurement (monotonic), converted to wall-clock
 * time only when shown, as of the moment it is shown.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  toWallTime: (time) => Date.now() - (performance.now() - time),
};

/** The wall-clock time (epoch ms) of a reading of `clock.now()`, or `null` for `null` / non-finite. */
export function wallTime(clock: Clock, time: number | null): number | null {
  if (time === null || !Number.isFinite(time)) return null;
  return clock.toWallTime === undefined ? time : clock.toWallTime(time);
}
