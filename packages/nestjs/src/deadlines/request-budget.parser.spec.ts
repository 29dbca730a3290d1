import { describe, expect, it } from '@jest/globals';
import { parseGrpcTimeout, parseRelativeBudget } from './request-budget.parser.js';

const MAX = 300_000;

describe('parseRelativeBudget (a header is client input)', () => {
  it.each([
    ['250', 250],
    [' 250 ', 250],
    ['250.9', 250],
    ['0', 0],
    ['-1', 0],
    ['-99999', 0],
    ['300000', MAX],
    ['300001', MAX],
    ['999999999999999', MAX],
  ])('%j is a budget of %j ms', (value, expected) => {
    expect(parseRelativeBudget(value, MAX)).toBe(expected);
  });

  it.each([undefined, '', 'NaN', 'abc', '1e9', '0x10', 'Infinity', '12ms', '1,2', '9'.repeat(16), ' '.repeat(40) + '1', ['100', '200'], 100])(
    '%j is no budget at all',
    (value) => {
      expect(parseRelativeBudget(value, MAX)).toBeUndefined();
    },
  );

  it('cuts to the configured max', () => {
    expect(parseRelativeBudget('5000', 1_000)).toBe(1_000);
  });
});

describe('parseGrpcTimeout', () => {
  it.each([
    ['100m', 100],
    ['2S', 2_000],
    ['1M', 60_000],
    ['1500u', 1],
    ['999999n', 0],
    ['1H', MAX],
    ['99999999S', MAX],
  ])('%j is %j ms', (value, expected) => {
    expect(parseGrpcTimeout(value, MAX)).toBe(expected);
  });

  it.each([undefined, '', '100', '100x', '-1S', '123456789m', 'S', 5])('%j is no budget', (value) => {
    expect(parseGrpcTimeout(value, MAX)).toBeUndefined();
  });
});
