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

/** One request of a round of the per-call suite: a step of a paired isolate, or a lone bare batch. */
export type CallsStep =
  | { readonly condition: 'als-on' | 'als-off'; readonly step: number }
  | { readonly condition: 'no-bulwark' | 'no-bulwark-again' };

/**
 * The requests of round `round` of the per-call suite, whose `als-on` and `als-off` isolates run
 * `casesOn` and `casesOff` cases: the steps of each as one block, the blocks swapped every other
 * round; in the `als-off` block, a `no-bulwark` bare batch right before each step on even rounds
 * and right after it on odd ones, and a `no-bulwark-again` one on its other side. A step times its
 * bare batch first on even rounds and last on odd ones (`runStep`), so the two bare batches the
 * application tax compares always run back to back, as a case and its bare batch do, and so do the
 * two the A/A control compares.
 */
export function callsRoundSchedule(round: number, casesOn: number, casesOff: number): CallsStep[] {
  const even = round % 2 === 0;
  const on: CallsStep[] = Array.from({ length: casesOn }, (_, step) => ({ condition: 'als-on', step }));
  const off: CallsStep[] = Array.from({ length: casesOff }, (_, step): CallsStep[] => {
    const steps: CallsStep[] = [{ condition: 'no-bulwark-again' }, { condition: 'no-bulwark' }, { condition: 'als-off', step }];
    return even ? steps : steps.reverse();
  }).flat();
  return even ? [...on, ...off] : [...off, ...on];
}
