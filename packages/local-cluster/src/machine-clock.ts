/**
 * Milliseconds (sub-millisecond precision) on the machine's monotonic clock: the same clock in every
 * process of this machine, so times stamped by a test and by its child processes compare, and
 * unaffected by steps of the wall clock (`Date.now()` can jump by seconds when the system time is
 * corrected, and `performance.timeOrigin + performance.now()` drifts away from it).
 */
export function machineNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
