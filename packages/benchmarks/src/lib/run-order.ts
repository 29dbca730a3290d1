/**
 * The order of round `round`: the endpoints rotated, and every other block of rotations reversed, so
 * over 2 x (number of endpoints) rounds each endpoint runs in every position and right after each
 * other endpoint equally often (whatever one run leaves behind, garbage or a warm cache, falls on all).
 */
export function runOrder<T>(targets: readonly T[], round: number): T[] {
  const n = targets.length;
  const rotated = targets.map((_, i) => targets[(round + i) % n]!);
  return Math.floor(round / n) % 2 === 0 ? rotated : rotated.reverse();
}
