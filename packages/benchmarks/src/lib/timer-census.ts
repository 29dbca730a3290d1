/**
 * Counts live timers, unref'd ones included: `process.getActiveResourcesInfo()` (what the issue
 * asks for) lists only ref'd timers, so a library that unrefs its intervals (opossum) would read
 * as holding none. The census wraps the global timer functions (libraries look them up per call)
 * and remembers every handle until Node marks it destroyed (fired or cleared).
 */
type TimerHandle = NodeJS.Timeout & { _destroyed?: boolean };

const created: TimerHandle[] = [];
let installed = false;

export function installTimerCensus(): void {
  if (installed) return;
  installed = true;
  const g = globalThis as unknown as Record<string, unknown>;
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const real = globalThis[name] as (...args: unknown[]) => TimerHandle;
    g[name] = function (this: unknown, ...args: unknown[]): TimerHandle {
      const handle = real.apply(this, args);
      created.push(handle);
      return handle;
    };
  }
}

/** Timers neither fired nor cleared, ref'd or not. `_destroyed` is Node's own flag on Timeout. */
export function liveTimersIncludingUnref(): number {
  let live = 0;
  let kept = 0;
  for (const handle of created) {
    if (handle._destroyed === true) continue;
    created[kept++] = handle;
    live++;
  }
  created.length = kept;
  return live;
}
