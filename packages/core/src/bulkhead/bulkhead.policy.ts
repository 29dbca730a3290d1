import { DEFAULT_BULKHEAD_OPTIONS, validateBulkheadOptions, type BulkheadPolicyOptions } from './bulkhead.options.js';
import { SlotBulkhead } from './slot-bulkhead.js';

export type { BulkheadRejectedEvent } from './slot-bulkhead.js';

/**
 * Bounds how many calls run at once (`maxConcurrent`) and how many wait for a slot (`maxQueue`,
 * FIFO); beyond both, calls fail at once with a stackless `BulkheadFullError`.
 *
 * A slot is held until the operation itself settles, not until the caller stops waiting: a timeout
 * outside the bulkhead rejects the caller, but the work keeps its slot while it still runs, which
 * is the point of bounding it.
 */
export class BulkheadPolicy extends SlotBulkhead {
  readonly name: string;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** @internal A static bulkhead reads no clock. */
  readonly sampleClock = undefined;

  constructor(options: BulkheadPolicyOptions = {}) {
    super();
    const name = typeof options.name === 'string' && options.name !== '' ? options.name : 'bulkhead';
    validateBulkheadOptions(options, options.validationPath ?? `bulkheads.${name}`);
    this.name = name;
    this.maxConcurrent = options.maxConcurrent ?? DEFAULT_BULKHEAD_OPTIONS.maxConcurrent;
    this.maxQueue = options.maxQueue ?? DEFAULT_BULKHEAD_OPTIONS.maxQueue;
  }

  protected get capacity(): number {
    return this.maxConcurrent;
  }

  /** Free slots: `maxConcurrent - running`. */
  get available(): number {
    return this.maxConcurrent - this.active;
  }

  protected settled(): void {}
}
