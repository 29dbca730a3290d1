import { describe, expect, it } from '@jest/globals';
import { CountWindow } from './count-window.js';

const totals = (w: CountWindow) => [w.total, w.failures, w.slow];

describe('CountWindow', () => {
  it('keeps running totals of the last `size` outcomes, evicting the oldest', () => {
    const window = new CountWindow(3);
    window.record(true, true);
    window.record(false, true);
    expect(totals(window)).toEqual([2, 1, 2]);
    window.record(true, false);
    expect(totals(window)).toEqual([3, 2, 2]);
    window.record(false, false); // evicts failure+slow
    expect(totals(window)).toEqual([3, 1, 1]);
    window.record(false, false); // evicts slow
    window.record(false, false); // evicts failure
    expect(totals(window)).toEqual([3, 0, 0]);
  });

  it('starts over after clear()', () => {
    const window = new CountWindow(2);
    window.record(true, true);
    window.record(true, true);
    window.clear();
    expect(totals(window)).toEqual([0, 0, 0]);
    window.record(false, false);
    window.record(true, false);
    window.record(false, false);
    expect(totals(window)).toEqual([2, 1, 0]);
  });

  it('works with a window of one', () => {
    const window = new CountWindow(1);
    window.record(true, false);
    window.record(false, true);
    expect(totals(window)).toEqual([1, 0, 1]);
  });
});
