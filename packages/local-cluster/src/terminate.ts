import type { ChildProcess } from 'node:child_process';

/** How long a child may take to exit after SIGTERM before it gets SIGKILL. */
export const STOP_GRACE_MS = 2_000;

/**
 * Sends `signal` to `child` and resolves once it has exited; SIGKILL when it is still there after
 * `graceMs`. Resolves at once when it has already exited or was never spawned, so it is safe to call
 * twice.
 */
export function terminate(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = STOP_GRACE_MS): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill(signal);
  });
}

/** Whether `child` is gone (or never started: a failed spawn has no pid and never emits `exit`). */
export function hasExited(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}
