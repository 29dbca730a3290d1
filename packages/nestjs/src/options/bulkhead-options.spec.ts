import { describe, expect, it } from '@jest/globals';
import { InvalidOptionsError } from '@bulwark/core';
import { isAdaptive, mergeBulkheadOptions, validateDefaultBulkheadOptions, validateResilienceBulkheadOptions, type ResilienceBulkheadOptions } from './bulkhead-options.js';

describe('bulkhead options', () => {
  it.each<[ResilienceBulkheadOptions | undefined, boolean]>([
    [undefined, false],
    [{}, false],
    [{ maxConcurrent: 2 }, false],
    [{ adaptive: false, maxConcurrent: 2 }, false],
    [{ adaptive: true }, true],
    [{ adaptive: { algorithm: 'vegas' }, maxQueue: 2 }, true],
  ])('isAdaptive(%j) is %s', (options, adaptive) => {
    expect(isAdaptive(options)).toBe(adaptive);
  });

  it('validates static and adaptive options under the path, and refuses maxConcurrent beside adaptive', () => {
    expect(() => validateResilienceBulkheadOptions(undefined, 'bulkheads.a')).not.toThrow();
    expect(() => validateResilienceBulkheadOptions({ adaptive: false, maxConcurrent: 2 }, 'bulkheads.a')).not.toThrow();
    expect(() => validateResilienceBulkheadOptions({ adaptive: { algorithm: 'aimd', backoffRatio: 0.5 }, maxQueue: 3 }, 'bulkheads.a')).not.toThrow();
    expect(() => validateResilienceBulkheadOptions({ maxConcurrent: 0 }, 'bulkheads.a')).toThrow('bulkheads.a.maxConcurrent must be a positive integer (got 0)');
    expect(() => validateResilienceBulkheadOptions({ adaptive: { maxLimit: 0 } }, 'bulkheads.a')).toThrow('bulkheads.a.adaptive.maxLimit must be a positive integer (got 0)');
    expect(() => validateResilienceBulkheadOptions({ adaptive: true, maxConcurrent: 3 }, 'bulkheads.a')).toThrow(InvalidOptionsError);
    expect(() => validateResilienceBulkheadOptions({ adaptive: true, maxConcurrent: 3 }, 'bulkheads.a')).toThrow(/^bulkheads\.a\.maxConcurrent cannot be given with adaptive/);
    expect(() => validateResilienceBulkheadOptions(4, 'bulkheads.a')).toThrow('bulkheads.a must be an object');
    const algorithm = { limit: 2, minLimit: 1, maxLimit: 4, onSample: () => 2 };
    expect(() => validateResilienceBulkheadOptions({ adaptive: algorithm }, 'bulkheads.a')).not.toThrow();
    expect(() => validateDefaultBulkheadOptions({ adaptive: algorithm }, 'defaults.bulkhead')).toThrow(/^defaults\.bulkhead\.adaptive must be true or the limit options/);
  });

  it('merges field by field; the most specific layer saying adaptive or maxConcurrent decides the kind', () => {
    expect(mergeBulkheadOptions([{ maxConcurrent: 4, maxQueue: 1 }, undefined, { maxQueue: 2 }])).toEqual({ maxConcurrent: 4, maxQueue: 2 });
    expect(mergeBulkheadOptions([{ maxConcurrent: 4, maxQueue: 1 }, { adaptive: true }, undefined])).toEqual({ adaptive: true, maxQueue: 1 });
    expect(mergeBulkheadOptions([{ adaptive: { algorithm: 'vegas' }, maxQueue: 3 }, undefined, { maxConcurrent: 2 }])).toEqual({ maxConcurrent: 2, maxQueue: 3 });
    expect(mergeBulkheadOptions([{ adaptive: true }, { adaptive: { minLimit: 2 } }, { adaptive: { maxLimit: 9 } }])).toEqual({ adaptive: { maxLimit: 9 } });
    expect(mergeBulkheadOptions([{ adaptive: true }, { adaptive: false, maxConcurrent: 1 }, undefined])).toEqual({ adaptive: false, maxConcurrent: 1 });
  });
});
