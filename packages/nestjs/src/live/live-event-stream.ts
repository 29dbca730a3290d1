import { randomBytes } from 'node:crypto';
import { systemClock, type Clock, type Disposable, type TimerHandle } from '@bulwark/core';
import type { MessageEvent } from '@nestjs/common';
import { Observable, type Subscriber } from 'rxjs';
import type { ResilienceEventBus } from '../events/resilience-event-bus.js';
import type { ResilienceEvent } from '../events/resilience-event.interface.js';

/** What a stream needs of the HTTP response it feeds: how much it holds unsent, and when it is done. */
export interface StreamResponse {
  readonly writableFinished?: boolean;
  readonly destroyed?: boolean;
  /** Bytes written to the response that the client has not taken yet. */
  readonly writableLength?: number;
  /** True once the response holds more than it wants to (the client reads slower than events come). */
  readonly writableNeedDrain?: boolean;
  once(event: 'finish' | 'close', listener: () => void): unknown;
  destroy?(): unknown;
}

/** How much one stream may cost the application, whatever its clients do. */
export interface LiveStreamLimits {
  /** Open streams at most; one more is refused (503). */
  readonly maxSubscribers: number;
  /** Rejections, retries, timeouts, fallbacks: at most one message per policy (and key) per this many ms. */
  readonly coalesceMs: number;
  /** Bytes a client may leave unread before events for it are dropped (and counted). */
  readonly maxUnreadBytes: number;
  /** A client that leaves events unread this long is disconnected. */
  readonly slowReaderTimeoutMs: number;
}

export const DEFAULT_LIVE_STREAM_LIMITS: LiveStreamLimits = Object.freeze({
  maxSubscribers: 32,
  coalesceMs: 1_000,
  maxUnreadBytes: 64 * 1024,
  slowReaderTimeoutMs: 30_000,
});

/** How long shutdown waits for ended streams to be flushed to their clients. */
const FLUSH_TIMEOUT_MS = 2_000;
/** Messages waiting for the next delivery turn at most; beyond, they are dropped (and counted). */
const MAX_OUTBOX = 1_000;

/** Events that come once per call in an outage: sent as one message per policy per interval, with a count. */
const COALESCED: ReadonlySet<ResilienceEvent['type']> = new Set(['call-rejected', 'retry', 'timeout', 'bulkhead-rejected', 'fallback', 'load-shed']);

/** A message of the stream: an event (with `count` when it stands for several) or a drop notice. */
export type LiveMessage = ResilienceEvent | { type: 'dropped'; count: number; at: string };

/** One open stream: its response, and what it missed while its client did not read. */
interface Reader {
  readonly response: StreamResponse | undefined;
  dropped: number;
  /** Clock time since which the client has left events unread (NaN while it keeps up). */
  behindSince: number;
}

/** Occurrences of one coalesced event (type, policy, key) in the current interval. */
interface Window {
  /** Occurrences not yet sent. */
  count: number;
  /** The latest of them, and its sequence number. */
  event: ResilienceEvent;
  seq: number;
  /** Clock time at which the interval ends. */
  endsAt: number;
}

/**
 * The event bus as Server-Sent Events: each subscriber is replayed the last events the bus keeps
 * (100) and then follows live ones. Every event gets an id `<epoch>-<seq>`, so an `EventSource`
 * that reconnects (it sends `Last-Event-ID`) is replayed only what it missed; an id from another
 * process (another epoch) or an unknown one replays everything kept.
 *
 * Bounded whatever the call rate and the clients: events that come once per call in an outage
 * (rejections, retries, timeouts, fallbacks) are sent at most once per policy (and key) per
 * `coalesceMs`, the latest with the `count` it stands for; messages are delivered in a turn of
 * their own, never inside the call that caused them; a client that leaves more than
 * `maxUnreadBytes` unread has events dropped (then told how many, in a `dropped` message) and is
 * disconnected after `slowReaderTimeoutMs`; at most `maxSubscribers` streams are open.
 */
export class LiveEventStream {
  /** Tells this process's ids from those of an earlier one, after a restart. */
  private readonly epoch = randomBytes(4).toString('hex');
  private readonly readers = new Map<Subscriber<MessageEvent>, Reader>();
  private readonly subscription: Disposable;
  private readonly windows = new Map<string, Window>();
  private outbox: MessageEvent[] = [];
  private outboxDropped = 0;
  private delivering = false;
  private windowTimer: TimerHandle | undefined = undefined;
  private windowTimerAt = Infinity;
  private seq = 0;

  constructor(
    private readonly bus: Pick<ResilienceEventBus, 'recent' | 'onEvent'>,
    private readonly clock: Clock = systemClock,
    readonly limits: LiveStreamLimits = DEFAULT_LIVE_STREAM_LIMITS,
    /** Whether events of per-key breakers keep their `key` (`exposeKeys`); else it is left out. */
    private readonly exposeKeys = false,
  ) {
    this.seq = bus.recent().length;
    this.subscription = bus.onEvent((event) => this.receive(event));
  }

  /** Whether another stream may open now. */
  get full(): boolean {
    return this.readers.size >= this.limits.maxSubscribers;
  }

  /**
   * Replay after `lastEventId` (everything kept when absent or unknown), then live events.
   * `response` (the raw HTTP response) lets the stream see an unread backlog, and `close()` wait
   * until the end of the stream is sent.
   */
  observe(lastEventId?: string, response?: StreamResponse): Observable<MessageEvent> {
    return new Observable<MessageEvent>((subscriber) => {
      // Replay and subscription happen in one synchronous step: no event can fall between them.
      const recent = this.bus.recent();
      const first = this.seq - recent.length + 1;
      const after = this.parse(lastEventId);
      for (let i = after === undefined ? 0 : Math.max(0, after - first + 1); i < recent.length; i++) {
        subscriber.next(this.message(first + i, this.exposeKeys ? recent[i]! : withoutKey(recent[i]!)));
      }
      this.readers.set(subscriber, { response, dropped: 0, behindSince: NaN });
      return () => {
        this.readers.delete(subscriber);
      };
    });
  }

  /** Open streams (for tests and shutdown). */
  get size(): number {
    return this.readers.size;
  }

  /**
   * Completes every open stream and stops following the bus. Resolves once their responses are
   * sent (at most 2 s): the HTTP server then finds their connections idle and closes at once,
   * where a response still ending would keep its keep-alive connection, and the shutdown, waiting.
   */
  async close(): Promise<void> {
    this.subscription.dispose();
    if (this.windowTimer !== undefined) this.clock.clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.windows.clear();
    const open = [...this.readers];
    this.readers.clear();
    for (const [subscriber] of open) subscriber.complete();
    const responses = open.map(([, reader]) => reader.response).filter((response) => response !== undefined);
    if (responses.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_TIMEOUT_MS)));
    await Promise.race([Promise.all(responses.map(sent)), timeout]);
    clearTimeout(timer);
  }

  private receive(received: ResilienceEvent): void {
    const seq = ++this.seq;
    if (this.readers.size === 0) return;
    const event = this.exposeKeys ? received : withoutKey(received);
    if (!COALESCED.has(event.type)) {
      this.send(this.message(seq, event));
      return;
    }
    const id = windowId(event);
    const window = this.windows.get(id);
    if (window !== undefined) {
      // Within the interval: counted, and sent with the others when it ends.
      window.count++;
      window.event = event;
      window.seq = seq;
      return;
    }
    // The first of its kind in a while goes out at once, and opens an interval.
    this.send(this.message(seq, event));
    const endsAt = this.clock.now() + this.limits.coalesceMs;
    this.windows.set(id, { count: 0, event, seq, endsAt });
    if (endsAt < this.windowTimerAt) this.armWindows(endsAt);
  }

  /** Sends what every interval that has ended counted, and keeps the busy ones open. */
  private closeWindows(): void {
    this.windowTimer = undefined;
    this.windowTimerAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    for (const [id, window] of this.windows) {
      if (window.endsAt > now) {
        next = Math.min(next, window.endsAt);
        continue;
      }
      if (window.count === 0 || this.readers.size === 0) {
        this.windows.delete(id);
        continue;
      }
      this.send(this.message(window.seq, { ...window.event, count: window.count } as LiveMessage));
      window.count = 0;
      window.endsAt = now + this.limits.coalesceMs;
      next = Math.min(next, window.endsAt);
    }
    if (next !== Infinity) this.armWindows(next);
  }

  private armWindows(at: number): void {
    if (this.windowTimer !== undefined) this.clock.clearTimeout(this.windowTimer);
    this.windowTimerAt = at;
    this.windowTimer = this.clock.setTimeout(() => this.closeWindows(), Math.max(0, at - this.clock.now()));
    // Coalescing alone never keeps the process alive.
    this.windowTimer.unref();
  }

  /** Queues a message for every reader; delivery happens in a turn of its own, off the call path. */
  private send(message: MessageEvent): void {
    if (this.outbox.length >= MAX_OUTBOX) {
      this.outboxDropped++;
    } else {
      this.outbox.push(message);
    }
    if (this.delivering) return;
    this.delivering = true;
    setImmediate(() => this.deliver());
  }

  private deliver(): void {
    this.delivering = false;
    const messages = this.outbox;
    const dropped = this.outboxDropped;
    this.outbox = [];
    this.outboxDropped = 0;
    const now = this.clock.now();
    for (const [subscriber, reader] of [...this.readers]) {
      reader.dropped += dropped;
      for (const message of messages) {
        if (this.behind(reader)) {
          reader.dropped++;
          if (reader.behindSince !== reader.behindSince) reader.behindSince = now;
          else if (now - reader.behindSince >= this.limits.slowReaderTimeoutMs) {
            this.disconnect(subscriber, reader);
            break;
          }
          continue;
        }
        reader.behindSince = NaN;
        if (reader.dropped > 0) {
          subscriber.next({ data: { type: 'dropped', count: reader.dropped, at: new Date().toISOString() } satisfies LiveMessage });
          reader.dropped = 0;
        }
        subscriber.next(message);
      }
    }
  }

  /** Whether the reader's client has left more unread than it may. */
  private behind(reader: Reader): boolean {
    const response = reader.response;
    if (response === undefined) return false;
    return response.writableNeedDrain === true || (response.writableLength ?? 0) > this.limits.maxUnreadBytes;
  }

  private disconnect(subscriber: Subscriber<MessageEvent>, reader: Reader): void {
    this.readers.delete(subscriber);
    subscriber.complete();
    // Its unread backlog would otherwise stay buffered for as long as the socket stays open.
    reader.response?.destroy?.();
  }

  private message(seq: number, event: LiveMessage): MessageEvent {
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

/** The event without its per-key breaker's key (often user data): it then stands for the family. */
function withoutKey(event: ResilienceEvent): ResilienceEvent {
  if (!('key' in event) || event.key === undefined) return event;
  const { key: _key, ...rest } = event;
  return rest as ResilienceEvent;
}

function windowId(event: ResilienceEvent): string {
  const key = 'key' in event && event.key !== undefined ? event.key : '';
  return `${event.type}\u0000${event.name}\u0000${key}`;
}

function sent(response: StreamResponse): Promise<void> {
  if (response.writableFinished === true || response.destroyed === true) return Promise.resolve();
  return new Promise((resolve) => {
    response.once('finish', resolve);
    response.once('close', resolve);
  });
}
