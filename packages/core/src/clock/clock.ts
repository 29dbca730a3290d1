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
  /**
   * Optional: calls `listener` each time the process is about to exit for want of anything keeping
   * it alive (Node's `'beforeExit'`), until the returned function is called. With it, a timeout's
   * shared timer stays unref'd and is ref'd only when the process would otherwise exit with calls
   * still pending, instead of a ref and an unref per call. Clocks without it get the per-call way.
   */
  onBeforeExit?(listener: () => void): () => void;
}

const beforeExitListeners = new Set<() => void>();

function emitBeforeExit(): void {
  for (const listener of beforeExitListeners) listener();
}

/** The real clock: `performance.now()`-free `Date.now()` so snapshots can print wall time. */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  // One process listener, there only while some timeout has its timer armed (so short-lived
  // module instances, as in test sandboxes, leave none behind).
  onBeforeExit(listener) {
    if (beforeExitListeners.size === 0) process.on('beforeExit', emitBeforeExit);
    beforeExitListeners.add(listener);
    return () => {
      if (beforeExitListeners.delete(listener) && beforeExitListeners.size === 0) process.off('beforeExit', emitBeforeExit);
    };
  },
};
