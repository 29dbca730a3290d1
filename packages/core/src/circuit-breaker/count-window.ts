import type { OutcomeWindow } from './outcome-window.interface.js';

const FAILURE = 1;
const SLOW = 2;

/** The last `size` outcomes, in a preallocated ring of one byte per call. */
export class CountWindow implements OutcomeWindow {
  total = 0;
  failures = 0;
  slow = 0;
  private readonly ring: Uint8Array;
  private next = 0;

  constructor(readonly size: number) {
    this.ring = new Uint8Array(size);
  }

  record(failure: boolean, slow: boolean): void {
    const ring = this.ring;
    const index = this.next;
    if (this.total === ring.length) {
      const evicted = ring[index]!;
      if (evicted & FAILURE) this.failures--;
      if (evicted & SLOW) this.slow--;
    } else {
      this.total++;
    }
    ring[index] = (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    if (failure) this.failures++;
    if (slow) this.slow++;
    this.next = index + 1 === ring.length ? 0 : index + 1;
  }

  refresh(): void {
    // A count window never goes stale.
  }

  clear(): void {
    // The ring's old bytes are unreachable once `total` is 0: they are overwritten before being read.
    this.total = 0;
    this.failures = 0;
    this.slow = 0;
    this.next = 0;
  }
}
