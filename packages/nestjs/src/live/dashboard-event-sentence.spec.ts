import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import type { ResilienceEvent } from '../events/resilience-event.interface.js';
import { EVENT_SENTENCE_SCRIPT } from './dashboard-event-sentence.js';

// The page's own function, run as the browser runs it: in a bare context, no Node globals.
const eventSentence = runInNewContext(`${EVENT_SENTENCE_SCRIPT}; eventSentence`, {}) as (event: ResilienceEvent) => string;
const at = '2030-01-01T12:00:00.000Z';

describe('the dashboard words each event as a sentence', () => {
  it.each<[ResilienceEvent, string]>([
    [{ type: 'state-change', name: 'pricing', from: 'closed', to: 'open', reason: 'failure-threshold', at }, 'pricing opened after too many consecutive failures'],
    [{ type: 'state-change', name: 'pricing', from: 'closed', to: 'open', reason: 'failure-rate', at }, 'pricing opened: its failure rate reached the threshold'],
    [{ type: 'state-change', name: 'pricing', from: 'half-open', to: 'open', reason: 'half-open-failure', at }, 'pricing re-opened: a trial call failed'],
    [{ type: 'state-change', name: 'pricing', from: 'open', to: 'half-open', reason: 'recovery-timeout', at }, 'pricing is half-open: trial calls may go through'],
    [{ type: 'state-change', name: 'pricing', from: 'half-open', to: 'closed', reason: 'half-open-success', at }, 'pricing closed: the trial calls succeeded'],
    [{ type: 'state-change', name: 'pricing', from: 'open', to: 'closed', reason: 'manual', at }, 'pricing was reset (closed)'],
    [
      { type: 'state-change', name: 'pricing', from: 'closed', to: 'forced-open', reason: 'manual', at },
      'pricing was forced open: every call is rejected until it is reset',
    ],
    [{ type: 'state-change', name: 'partner-api', key: 'acme', from: 'closed', to: 'open', reason: 'remote', at }, 'partner-api [acme] opened (on another replica)'],
    [{ type: 'call-rejected', name: 'pricing', state: 'open', retryAfterMs: 11_200, at }, 'pricing rejected a call (open, retry in 12 s)'],
    [{ type: 'call-rejected', name: 'pricing', state: 'forced-open', retryAfterMs: null, at }, 'pricing rejected a call (forced open)'],
    [
      { type: 'retry', name: 'pricing', attempt: 1, delay: 150, error: 'TypeError', at },
      'pricing retries a call: attempt 1 failed with a TypeError, attempt 2 in 150 ms',
    ],
    [{ type: 'timeout', name: 'InventoryService.stock', duration: 3_000, at }, 'InventoryService.stock timed out after 3 s'],
    [{ type: 'bulkhead-rejected', name: 'reports', at }, 'reports is full: a call was rejected'],
    [{ type: 'load-shed', name: 'loadShedding', priority: 'default', reason: 'capacity', at }, 'Load shedding turned away a request (at capacity)'],
    [
      { type: 'load-shed', name: 'loadShedding', priority: 'sheddable', reason: 'queue-timeout', at },
      'Load shedding turned away a sheddable request (it waited too long in the queue)',
    ],
    [
      { type: 'fallback', name: 'PricingClient.price', source: 'stale', reason: 'circuit_open', at },
      'PricingClient.price fell back to a cached result after an open breaker',
    ],
  ])('%j', (event, sentence) => {
    expect(eventSentence(event)).toBe(sentence);
  });
});
