import type { ChildProcess } from 'node:child_process';

/** Children still running; SIGKILLed when this process exits. */
const children = new Set<ChildProcess>();
let hooked = false;

/**
 * SIGKILLs `child` when this process exits before it does, so no redis-server or replica outlives a
 * crashed demo or test run. One `exit` hook for all children (a hook each would trip Node's
 * listener-count warning with a handful of replicas).
 */
export function killOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const running of children) running.kill('SIGKILL');
    });
  }
  children.add(child);
  child.once('exit', () => children.delete(child));
  // A child that could not be spawned never emits `exit`.
  child.on('error', () => {
    if (child.pid === undefined) children.delete(child);
  });
}
