import { describe, expect, it } from '@jest/globals';
import type { AdmissionOutcome } from '@bulwark/core';
import { outcomeOf } from './load-shedding.guard.js';

describe('what a request teaches the load-shedding limit', () => {
  it.each<[number, boolean, AdmissionOutcome]>([
    [200, true, 'success'],
    [204, true, 'success'],
    [304, true, 'success'],
    [404, true, 'ignored'],
    [422, true, 'ignored'],
    [500, true, 'ignored'],
    [503, true, 'ignored'],
    [504, true, 'dropped'],
    [200, false, 'ignored'],
    [504, false, 'ignored'],
  ])('status %i, response sent: %s → %s', (statusCode, writableFinished, outcome) => {
    expect(outcomeOf({ statusCode, writableFinished })).toBe(outcome);
  });
});
