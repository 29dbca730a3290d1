import { describe, expect, it } from '@jest/globals';
import { TimeWindow } from './time-window.js';

const totals = (w: TimeWindow) => [w.total, w.failures, w.slow];

describe('TimeWindow', () => {
  it('drops a bucket once ten newer bucket spans have started', () => {
    const window = new TimeWindow(1_000); // buckets of 100 ms
    window.record(true, false, 0);
    window.record(false, true, 99);
    window.record(true, true, 100);
    expect(totals(window)).toEqual([3, 2, 2]);
    window.refresh(999);
    expect(totals(window)).toEqual([3, 2, 2]);
    window.refresh(1_000); // bucket [0, 100) leaves
    expect(totals(window)).toEqual([1, 1, 1]);
    window.refresh(1_100); // bucket [100, 200) leaves
    expect(totals(window)).toEqual([0, 0, 0]);
  });

  it('clears everything after a jump longer than the window', () => {
    const window = new TimeWindow(1_000);
    for (let t = 0; t < 1_000; t += 50) window.record(true, true, t);
    expect(totals(window)).toEqual([20, 20, 20]);
    window.record(false, false, 50_000);
    expect(totals(window)).toEqual([1, 0, 0]);
  });

  it('files calls from a clock that stepped back into the newest bucket', () => {
    const window = new TimeWindow(1_000);
    window.record(true, false, 5_000);
    window.record(false, false, 4_000);
    expect(totals(window)).toEqual([2, 1, 0]);
    window.refresh(5_999);
    expect(window.total).toBe(2);
    window.refresh(6_000);
    expect(window.total).toBe(0);
  });

  it('handles negative clock times and clear()', () => {
    const window = new TimeWindow(100);
    window.record(true, false, -55);
    window.record(true, false, -5);
    expect(totals(window)).toEqual([2, 2, 0]);
    window.refresh(40); // bucket [-60, -50) leaves at 40
    expect(totals(window)).toEqual([1, 1, 0]);
    window.clear();
    expect(totals(window)).toEqual([0, 0, 0]);
    window.record(false, true, -200);
    expect(totals(window)).toEqual([1, 0, 1]);
  });
});
