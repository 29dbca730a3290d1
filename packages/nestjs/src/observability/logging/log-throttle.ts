import type { Clock, TimerHandle } from '@bulwark/core';

export type LogLineLevel = 'warn' | 'log' | 'debug' | 'verbose';

export interface LogLine {
  readonly level: LogLineLevel;
  readonly message: string;
}

interface ThrottleWindow {
  /** When the last line of this key was written. */
  writtenAt: number;
  suppressed: number;
  latest: LogLine | undefined;
  timer: TimerHandle | undefined;
}

/**
 * At most one line per key per `intervalMs` (a key is one breaker and one kind of transition), so
 * a flapping dependency cannot flood the log. Repeats inside the interval are counted, and the
 * latest of them is written when the interval ends with the count: the log never stops at a state
 * the breaker has since left. A line written after a quiet interval goes out at once.
 */
export class LogThrottle {
  private readonly windows = new Map<string, ThrottleWindow>();

  constructor(
    private readonly intervalMs: number,
    private readonly clock: Clock,
    private readonly write: (line: LogLine) => void,
  ) {}

  submit(key: string, line: LogLine): void {
    if (this.intervalMs <= 0) {
      this.write(line);
      return;
    }
    const now = this.clock.now();
    const window = this.windows.get(key);
    if (window === undefined) {
      this.windows.set(key, { writtenAt: now, suppressed: 0, latest: undefined, timer: undefined });
      this.write(line);
      return;
    }
    if (now - window.writtenAt >= this.intervalMs) {
      // The trailing write may not have run yet (a late timer): this line carries the count.
      const suppressed = window.suppressed;
      this.reopen(window, now);
      this.write(suppressed === 0 ? line : { level: line.level, message: `${line.message} ${this.suppressedNote(suppressed)}` });
      return;
    }
    window.suppressed++;
    window.latest = line;
    if (window.timer === undefined) {
      window.timer = this.clock.setTimeout(() => this.flush(window), window.writtenAt + this.intervalMs - now);
      // A pending summary must not keep the process alive.
      window.timer.unref();
    }
  }

  /** Writes every pending summary now (at shutdown) and stops the timers. */
  dispose(): void {
    for (const window of this.windows.values()) this.flush(window);
    this.windows.clear();
  }

  private flush(window: ThrottleWindow): void {
    const { latest, suppressed } = window;
    this.reopen(window, this.clock.now());
    if (latest === undefined || suppressed === 0) return;
    const dropped = suppressed - 1;
    const note =
      dropped === 0
        ? '[delayed by the log rate limit]'
        : `[${this.count(dropped)} suppressed; this is the latest of the last ${formatDuration(this.intervalMs)}]`;
    this.write({ level: latest.level, message: `${latest.message} ${note}` });
  }

  private reopen(window: ThrottleWindow, now: number): void {
    if (window.timer !== undefined) this.clock.clearTimeout(window.timer);
    window.timer = undefined;
    window.writtenAt = now;
    window.suppressed = 0;
    window.latest = undefined;
  }

  private suppressedNote(suppressed: number): string {
    return `[${this.count(suppressed)} suppressed before this one]`;
  }

  private count(lines: number): string {
    return `${lines} similar ${lines === 1 ? 'line' : 'lines'}`;
  }
}

/** `850 ms`, `30 s`, `2.5 s`, `4 min 10 s`, `2 h 5 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'indefinitely';
  const value = Math.max(0, Math.round(ms));
  if (value < 1_000) return `${value} ms`;
  if (value < 60_000) return `${Number((value / 1_000).toFixed(1))} s`;
  const totalSeconds = Math.round(value / 1_000);
  if (totalSeconds < 3_600) {
    const seconds = totalSeconds % 60;
    return `${Math.floor(totalSeconds / 60)} min${seconds === 0 ? '' : ` ${seconds} s`}`;
  }
  const minutes = Math.floor(totalSeconds / 60) % 60;
  return `${Math.floor(totalSeconds / 3_600)} h${minutes === 0 ? '' : ` ${minutes} min`}`;
}
