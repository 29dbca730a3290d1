import type { Clock } from '../clock/clock.js';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { validateAdaptiveLimitOptions, type AdaptiveLimitOptions } from '../limit/adaptive-limit.options.js';
import type { LimitAlgorithm } from '../limit/limit-algorithm.interface.js';
import type { LimitBoundsOptions } from '../limit/limit-bounds.options.js';
import { MAX_BULKHEAD_QUEUE } from '../validation/option-limits.js';
import {
  checkAtMost,
  checkNonNegativeInteger,
  checkNumberIn,
  checkPolicyOptions,
  checkPositiveDuration,
} from '../validation/option-validators.js';

/** How urgent a request is: `critical` is never shed, `sheddable` goes first. */
export type AdmissionPriority = 'critical' | 'default' | 'sheddable';

export const ADMISSION_PRIORITIES: readonly AdmissionPriority[] = ['critical', 'default', 'sheddable'];

/** Inbound load shedding: an adaptive limit on requests in flight, a short queue, priorities. */
export interface AdmissionControllerOptions {
  /**
   * The limit algorithm: its options (`{ algorithm: 'gradient2' | 'vegas' | 'aimd', ... }`,
   * Gradient2 by default) or a `LimitAlgorithm` object of one's own. The bounds default wider than
   * a bulkhead's, as a server runs more requests than a client runs calls to one dependency:
   * `initialLimit` 100, `minLimit` 10, `maxLimit` 1 000.
   */
  limit?: AdaptiveLimitOptions | LimitAlgorithm;
  /** Requests waiting (FIFO) for capacity; beyond it they are shed. Default 100; at most 100 000. */
  maxQueue?: number;
  /**
   * CoDel's target, in ms: once the queue has not been empty for `queueInterval`, a request that
   * has waited longer than this is shed (the queue is standing, so waiting only adds latency).
   * Default 5.
   */
  queueTarget?: number;
  /** CoDel's interval, in ms: the longest any request waits, and how long a queue may stand before `queueTarget` applies. Default 100. */
  queueInterval?: number;
  /**
   * Share of the limit `sheddable` requests may fill, in (0, 1]: beyond it (or while anyone waits)
   * they are shed at once, never queued, keeping the rest for `default` and `critical` ones. Default 0.75.
   */
  sheddableShare?: number;
  /** `retryAfterMs` of a `LoadShedError`, in ms. Default 1 000 (HTTP's `Retry-After` counts whole seconds). */
  retryAfterMs?: number;
}

/** What the `AdmissionController` constructor takes: the options plus identity and time source. */
export interface AdmissionControllerPolicyOptions extends AdmissionControllerOptions {
  /** Names the controller in errors and events. Default `'loadShedding'`. */
  name?: string;
  /** Times requests and queue waits, and runs the queue's one timer. Default `systemClock`. */
  clock?: Clock;
  /** Prefix of validation messages. Default `'loadShedding'`. */
  validationPath?: string;
}

export const DEFAULT_ADMISSION_OPTIONS: Readonly<Required<Omit<AdmissionControllerOptions, 'limit'>>> = Object.freeze({
  maxQueue: 100,
  queueTarget: 5,
  queueInterval: 100,
  sheddableShare: 0.75,
  retryAfterMs: 1_000,
});

/** Bounds of the admission controller's limit, where its options leave them out. */
export const DEFAULT_ADMISSION_LIMIT_BOUNDS: Readonly<Required<LimitBoundsOptions>> = Object.freeze({
  initialLimit: 100,
  minLimit: 10,
  maxLimit: 1_000,
});

const KNOWN_KEYS: readonly string[] = ['name', 'clock', 'validationPath', 'limit', ...Object.keys(DEFAULT_ADMISSION_OPTIONS)];

/** Throws `InvalidOptionsError` naming `path` and the field. `undefined` means defaults. */
export function validateAdmissionOptions(options: unknown, path: string): void {
  const record = checkPolicyOptions(path, options, KNOWN_KEYS);
  if (record === undefined) return;
  validateAdaptiveLimitOptions(record['limit'], `${path}.limit`);
  checkNonNegativeInteger(`${path}.maxQueue`, record['maxQueue']);
  checkAtMost(`${path}.maxQueue`, record['maxQueue'], MAX_BULKHEAD_QUEUE, ' (each waiting request is held in memory)');
  checkPositiveDuration(`${path}.queueTarget`, record['queueTarget']);
  checkPositiveDuration(`${path}.queueInterval`, record['queueInterval']);
  const target = (record['queueTarget'] as number | undefined) ?? DEFAULT_ADMISSION_OPTIONS.queueTarget;
  const interval = (record['queueInterval'] as number | undefined) ?? DEFAULT_ADMISSION_OPTIONS.queueInterval;
  if (target > interval) {
    throw new InvalidOptionsError(`${path}.queueTarget`, `must be at most queueInterval (${interval})`, target);
  }
  checkNumberIn(`${path}.sheddableShare`, record['sheddableShare'], 0, 1, 'a number greater than 0 and at most 1', true);
  checkPositiveDuration(`${path}.retryAfterMs`, record['retryAfterMs']);
}
