import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { machineNow } from './machine-clock.js';

describe('machineNow', () => {
  it('is one clock for every process of the machine: a child process stamps between its parent’s before and after', () => {
    // The child runs the built package, as the replica fixtures do.
    const child = `import { machineNow } from '@bulwark/local-cluster'; console.log(machineNow());`;
    const before = machineNow();
    const stamped = Number(execFileSync(process.execPath, ['--input-type=module', '-e', child], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } }));
    const after = machineNow();
    expect(stamped).toBeGreaterThan(before);
    expect(stamped).toBeLessThan(after);
  });

  it('never goes backwards and has sub-millisecond precision', () => {
    const stamps = Array.from({ length: 1_000 }, () => machineNow());
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThanOrEqual(stamps[i - 1]!);
    expect(stamps.some((stamp) => !Number.isInteger(stamp))).toBe(true);
  });
});
