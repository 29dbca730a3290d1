import { randomBytes } from 'node:crypto';
import type { Disposable } from '@bulwark/core';
import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import type { ResilienceEventBus } from '../events/resilience-event-bus.js';
import type { ResilienceEvent } from '../events/resilience-event.interface.js';

/** What a stream needs of the HTTP response it feeds: to know when it is done (at shutdown). */
export interface StreamResponse {
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
}

/** How long shutdown waits for ended streams to be flushed to their clients. */
const FLUSH_TIMEOUT_MS = 2_000;

/**
 * The event bus as Server-Sent Events: each subscriber is replayed the last events the bus keeps
 * (100) and then follows live ones. Every event gets an id `<epoch>-<seq>`, so an `EventSource`
 * that reconnects (it sends `Last-Event-ID`) is replayed only what it missed; an id from another
 * process (another epoch) or an unknown one replays everything kept. Events are only counted
 * (rejections can come by the thousand): the bus's own buffer is the replay, and the k-th of its
 * `n` events has the sequence number `seq - n + k + 1`.
 */
export class LiveEventStream {
  /** Tells this process's ids from those of an earlier one, after a restart. */
  private readonly epoch = randomBytes(4).toString('hex');
  private readonly subscribers = new Map<Subscriber<MessageEvent>, StreamResponse | undefined>();
  private readonly subscription: Disposable;
  private seq = 0;

  constructor(private readonly bus: Pick<ResilienceEventBus, 'recent' | 'onEvent'>) {
    this.seq = bus.recent().length;
    this.subscription = bus.onEvent((event) => {
      this.seq++;
      if (this.subscribers.size === 0) return;
      const message = this.message(this.seq, event);
      for (const subscriber of this.subscribers.keys()) subscriber.next(message);
    });
  }

  /**
   * Replay after `lastEventId` (everything kept when absent or unknown), then live events.
   * `response` (the raw HTTP response) lets `close()` wait until the end of the stream is sent.
   */
  observe(lastEventId?: string, response?: StreamResponse): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      // Replay and subscription happen in one synchronous step: no event can fall between them.
      const recent = this.bus.recent();
      const first = this.seq - recent.length + 1;
      const after = this.parse(lastEventId);
      for (let i = after === undefined ? 0 : Math.max(0, after - first + 1); i < recent.length; i++) {
        subscriber.next(this.message(first + i, recent[i]!));
      }
      this.subscribers.set(subscriber, response);
      return () => {
        this.subscribers.delete(subscriber);
      };
    });
  }

  /** Open streams (for tests and shutdown). */
  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Completes every open stream and stops following the bus. Resolves once their responses are
   * sent (at most 2 s): the HTTP server then finds their connections idle and closes at once,
   * where a response still ending would keep its keep-alive connection, and the shutdown, waiting.
   */
  async close(): Promise<void> {
    this.subscription.dispose();
    const open = [...this.subscribers];
    this.subscribers.clear();
    for (const [subscriber] of open) subscriber.complete();
    const responses = open.map(([, response]) => response).filter((response) => response !== undefined);
    if (responses.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
    await Promise.race([Promise.all(responses.map(sent)), timeout]);
    clearTimeout(timer);
  }

  private message(seq: number, event: ResilienceEvent): MessageEvent {
    return { id: `${this.epoch}-${seq}`, data: event };
  }

  /** The sequence number of an id of this process that is not in the future, else undefined. */
  private parse(lastEventId: string | undefined): number | undefined {
    if (typeof lastEventId !== 'string') return undefined;
    const dash = lastEventId.lastIndexOf('-');
    if (dash < 0 || lastEventId.slice(0, dash) !== this.epoch) return undefined;
    const digits = lastEventId.slice(dash + 1);
    if (!/^\d{1,15}$/.test(digits)) return undefined;
    const seq = Number(digits);
    return seq <= this.seq ? seq : undefined;
  }
}

function sent(response: StreamResponse): Promise<void> {
  if (response.writableFinished === true || response.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    response.once('finish', resolve);
    response.once('close', resolve);
  });
}
