import { describe, expect, it } from '@jest/globals';
import { majorOf, nodesToRun, parseNodeMajors } from './node-binaries.js';

describe('Node versions of the per-call suite', () => {
  it('parses --nodes as sorted, distinct majors', () => {
    expect(parseNodeMajors('24,20')).toEqual([20, 24]);
    expect(parseNodeMajors('v22, 22')).toEqual([22]);
  });

  it('refuses anything but majors Bulwark can run on', () => {
    expect(() => parseNodeMajors('18')).toThrow(/majors >= 20/);
    expect(() => parseNodeMajors('20.19')).toThrow(/majors >= 20/);
    expect(() => parseNodeMajors('')).toThrow(/majors >= 20/);
  });

  it('runs 20, 22 and 24 by default, and the machine own Node too when it is another', () => {
    expect(nodesToRun(undefined, 20)).toEqual([20, 22, 24]);
    expect(nodesToRun(undefined, 25)).toEqual([20, 22, 24, 25]);
  });

  it('runs only the majors asked for', () => {
    expect(nodesToRun([24], 20)).toEqual([24]);
  });

  it('reads the major of a version', () => {
    expect(majorOf('v20.20.2')).toBe(20);
    expect(majorOf('24.1.0')).toBe(24);
    expect(majorOf('nonsense')).toBeNaN();
  });
});
