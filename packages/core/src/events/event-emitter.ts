/** Returned by event subscriptions: call `dispose()` to stop listening. */
export interface Disposable {
  dispose(): void;
}

/** Subscribes a listener to one kind of policy event. */
export type Event<T> = (listener: (event: T) => void) => Disposable;

/**
 * The tiny event source behind every policy event field. Emitting with no listener costs one
 * length check, so policies guard event construction with `hasListeners`.
 */
export class EventEmitter<T> {
  private listeners: Array<(event: T) => void> = [];

  /** The public subscription function, suitable for a readonly field (`breaker.onStateChange`). */
  readonly event: Event<T> = (listener) => {
    this.listeners = [...this.listeners, listener];
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  };

  get hasListeners(): boolean {
    return this.listeners.length > 0;
  }

  emit(event: T): void {
    // Copy-on-write listener array: a listener that unsubscribes during emit does not skip others.
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch {
        // Observers must never break a policy's bookkeeping.
      }
    }
  }
}
