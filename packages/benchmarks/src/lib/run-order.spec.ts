import { describe, expect, it } from '@jest/globals';
import { callsRoundSchedule, runOrder } from './run-order.js';

describe('runOrder', () => {
  it('over 2 x n rounds puts every endpoint in every position, and right after every other one, equally often', () => {
    const targets = ['bare', 'decorated', 'metrics'] as const;
    const rounds = Array.from({ length: 2 * targets.length }, (_, round) => runOrder(targets, round));
    for (const order of rounds) expect([...order].sort()).toEqual([...targets].sort());
    const positions = new Map<string, number>();
    const follows = new Map<string, number>();
    const sequence = rounds.flat();
    rounds.forEach((order) => order.forEach((target, i) => positions.set(`${target}@${i}`, (positions.get(`${target}@${i}`) ?? 0) + 1)));
    for (let i = 1; i < sequence.length; i++) {
      if (sequence[i] === sequence[i - 1]) continue; // the same endpoint twice across a round boundary
      const pair = `${sequence[i - 1]}->${sequence[i]}`;
      follows.set(pair, (follows.get(pair) ?? 0) + 1);
    }
    expect(new Set(positions.values())).toEqual(new Set([2]));
    expect(positions.size).toBe(targets.length * targets.length);
    // Each ordered pair of different endpoints occurs; the counts differ by at most one (round boundaries).
    expect(follows.size).toBe(targets.length * (targets.length - 1));
    const counts = [...follows.values()];
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
  });
});

describe('callsRoundSchedule', () => {
  const rounds = [0, 1, 2, 3].map((round) => callsRoundSchedule(round, 3, 2));

  it('runs every step of each paired isolate once per round, and one lone bare batch per als-off step in each bare-only isolate', () => {
    for (const schedule of rounds) {
      const steps = (condition: string): number[] => schedule.flatMap((one) => (one.condition === condition && 'step' in one ? [one.step] : []));
      expect(steps('als-on')).toEqual([0, 1, 2]);
      expect(steps('als-off')).toEqual([0, 1]);
      expect(schedule.filter((one) => one.condition === 'no-bulwark')).toHaveLength(2);
      expect(schedule.filter((one) => one.condition === 'no-bulwark-again')).toHaveLength(2);
    }
  });

  it('puts each no-bulwark bare batch between an als-off step (on the side of its bare batch: first on even rounds, last on odd ones) and a no-bulwark-again one', () => {
    for (const [round, schedule] of rounds.entries()) {
      const next = round % 2 === 0 ? 1 : -1;
      schedule.forEach((one, i) => {
        if (one.condition !== 'no-bulwark') return;
        expect(schedule[i + next]?.condition).toBe('als-off');
        expect(schedule[i - next]?.condition).toBe('no-bulwark-again');
      });
    }
  });

  it('swaps the two isolates blocks every other round', () => {
    expect(rounds.map((schedule) => schedule[0]!.condition)).toEqual(['als-on', 'als-off', 'als-on', 'als-off']);
  });
});
