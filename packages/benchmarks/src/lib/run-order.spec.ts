import { describe, expect, it } from '@jest/globals';
import { runOrder } from './run-order.js';

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
