import { AsyncResource } from 'node:async_hooks';
import type { BulkheadWaiter } from '../engine/pipeline-stages.js';

/**
 * One caller waiting for a bulkhead slot. It is an `AsyncResource` because the slot is granted
 * later, from whichever call frees it: without restoring the caller's async context, the operation
 * would see the releasing call's `currentSignal()` (and its CLS/request context) instead of its own.
 */
export class QueuedCall extends AsyncResource implements QueueNode<QueuedCall> {
  prev: QueuedCall | undefined = undefined;
  next: QueuedCall | undefined = undefined;
  /** Removes the abort listener; replaced once the caller has subscribed. */
  unsubscribe: () => void = noop;

  constructor(private readonly waiter: BulkheadWaiter) {
    super('BulwarkBulkheadQueue');
  }

  /** The slot is the waiter's: it goes on in its own async context. */
  grant(): void {
    this.runInAsyncScope(this.waiter.granted, this.waiter);
  }
}

/** An element of a `CallQueue`: the queue links its elements through these two fields. */
export interface QueueNode<T> {
  prev: T | undefined;
  next: T | undefined;
}

/**
 * FIFO of waiting callers as an intrusive doubly linked list: enqueue, dequeue and removal of an
 * aborted caller from the middle are all O(1), where `Array#shift`/`splice` would be O(n) per call
 * once thousands of callers wait.
 */
export class CallQueue<T extends QueueNode<T> = QueuedCall> {
  private head: T | undefined = undefined;
  private tail: T | undefined = undefined;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** The oldest caller, left in the queue. */
  peek(): T | undefined {
    return this.head;
  }

  push(call: T): void {
    call.prev = this.tail;
    call.next = undefined;
    if (this.tail === undefined) this.head = call;
    else this.tail.next = call;
    this.tail = call;
    this.size++;
  }

  shift(): T | undefined {
    const call = this.head;
    if (call !== undefined) this.remove(call);
    return call;
  }

  /** Unlinks `call`; returns false when it is no longer queued (already dequeued or removed). */
  remove(call: T): boolean {
    if (call.prev === undefined ? this.head !== call : call.prev.next !== call) return false;
    if (call.prev === undefined) this.head = call.next;
    else call.prev.next = call.next;
    if (call.next === undefined) this.tail = call.prev;
    else call.next.prev = call.prev;
    call.prev = undefined;
    call.next = undefined;
    this.size--;
    return true;
  }
}

function noop(): void {}
