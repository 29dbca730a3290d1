import { EventEmitter as NodeEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { EventEmitter, FakeClock } from '@bulwark/core';
import type { MessageEvent } from '@nestjs/common';
import type { ResilienceEvent } from '../events/resilience-event.interface.js';
import { LiveEventStream, type LiveMessage, type StreamResponse } from './live-event-stream.js';

const event = (name: string): ResilienceEvent => ({ type: 'bulkhead-rejected', name, at: new Date(0).toISOString() });

/** The bus's contract: keeps the last 100 events, records an event before emitting it. */
function fakeBus(initial: ResilienceEvent[] = []) {
  const emitter = new EventEmitter<ResilienceEvent>();
  const kept = [...initial];
  const emit = (e: ResilienceEvent) => {
    kept.push(e);
    if (kept.length > 100) kept.shift();
    emitter.emit(e);
  };
  return { recent: () => [...kept], onEvent: emitter.event, emit, emitter };
}

const names = (messages: MessageEvent[]) => messages.map((message) => (message.data as ResilienceEvent).name);

describe('LiveEventStream', () => {
  it('replays what the bus kept before it existed, then follows it; ids are unique and ordered', async () => {
    const bus = fakeBus([event('a'), event('b')]);
    const stream = new LiveEventStream(bus);
    bus.emit(event('c'));
    const seen: MessageEvent[] = [];
    const subscription = stream.observe().subscribe((message) => seen.push(message));
    bus.emit(event('d'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(names(seen)).toEqual(['a', 'b', 'c', 'd']);
    const seqs = seen.map((message) => Number(message.id!.split('-')[1]));
    expect(seqs).toEqual([1, 2, 3, 4]);
    expect(new Set(seen.map((message) => message.id!.split('-')[0])).size).toBe(1);
    subscription.unsubscribe();
    bus.emit(event('e'));
    expect(seen).toHaveLength(4);
    expect(stream.size).toBe(0);
  });

  it('resumes after a Last-Event-ID of its own, replays everything for a foreign, future or malformed one', () => {
    const bus = fakeBus();
    const stream = new LiveEventStream(bus);
    for (const name of ['a', 'b', 'c']) bus.emit(event(name));
    const all: MessageEvent[] = [];
    stream.observe().subscribe((message) => all.push(message)).unsubscribe();
    const epoch = all[0]!.id!.split('-')[0]!;
    const replay = (id?: string) => {
      const seen: MessageEvent[] = [];
      stream.observe(id).subscribe((message) => seen.push(message)).unsubscribe();
      return names(seen);
    };
    expect(replay(all[0]!.id)).toEqual(['b', 'c']);
    expect(replay(all[2]!.id)).toEqual([]);
    expect(replay(`${epoch}-0`)).toEqual(['a', 'b', 'c']);
    for (const id of [undefined, '', 'x', `${epoch}-4`, `${epoch}-1e3`, `${epoch}--1`, `ffffffff-1`, '1']) {
      expect(replay(id)).toEqual(['a', 'b', 'c']);
    }
  });

  it('keeps the last 100 events', () => {
    const bus = fakeBus();
    const stream = new LiveEventStream(bus);
    for (let i = 0; i < 120; i++) bus.emit(event(`e${i}`));
    const seen: MessageEvent[] = [];
    stream.observe().subscribe((message) => seen.push(message)).unsubscribe();
    expect(seen).toHaveLength(100);
    expect(names(seen)[0]).toBe('e20');
  });

  it('close() completes every stream, stops following the bus and waits until the responses are sent', async () => {
    const bus = fakeBus();
    const stream = new LiveEventStream(bus);
    const finished = Object.assign(new NodeEmitter(), { writableFinished: true });
    const sending = new NodeEmitter();
    let completed = 0;
    stream.observe(undefined, finished).subscribe({ complete: () => completed++ });
    stream.observe(undefined, sending).subscribe({ complete: () => completed++ });
    let closed = false;
    const closing = stream.close().then(() => (closed = true));
    expect(completed).toBe(2);
    expect(bus.emitter.hasListeners).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(false);
    sending.emit('finish');
    await closing;
    expect(closed).toBe(true);
  });
});

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

class FakeBus {
  private readonly emitter = new EventEmitter<ResilienceEvent>();
  readonly onEvent = this.emitter.event;
  recent(): readonly ResilienceEvent[] {
    return [];
  }
  emit(event: ResilienceEvent): void {
    this.emitter.emit(event);
  }
}

class FakeResponse implements StreamResponse {
  writableNeedDrain = false;
  writableLength = 0;
  destroyed = false;
  once(): unknown {
    return this;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

const rejected = (name: string, key?: string): ResilienceEvent =>
  key === undefined
    ? { type: 'call-rejected', name, state: 'open', retryAfterMs: 1_000, at: 'now' }
    : { type: 'call-rejected', name, key, state: 'open', retryAfterMs: 1_000, at: 'now' };
const opened = (name: string): ResilienceEvent => ({ type: 'state-change', name, from: 'closed', to: 'open', at: 'now' });

function setup(limits: Partial<LiveEventStream['limits']> = {}) {
  const bus = new FakeBus();
  const clock = new FakeClock();
  const stream = new LiveEventStream(bus, clock, { maxSubscribers: 3, coalesceMs: 1_000, maxUnreadBytes: 1_000, slowReaderTimeoutMs: 30_000, ...limits }, true);
  const subscribe = (response?: StreamResponse) => {
    const seen: LiveMessage[] = [];
    let completed = false;
    const subscription = stream.observe(undefined, response).subscribe({
      next: (message: MessageEvent) => seen.push(message.data as LiveMessage),
      complete: () => (completed = true),
    });
    return { seen, subscription, completed: () => completed };
  };
  return { bus, clock, stream, subscribe };
}

describe('LiveEventStream limits', () => {
  it('sends an outage\'s per-call events once per policy per interval, with how many they stand for', async () => {
    const { bus, clock, subscribe } = setup();
    const reader = subscribe();
    for (let i = 0; i < 50_000; i++) bus.emit(rejected('pricing'));
    bus.emit(rejected('pricing', 'tenant-a'));
    bus.emit(rejected('inventory'));
    await turn();
    // The first of each goes out at once.
    expect(reader.seen.map((m) => ['name' in m ? m.name : undefined, 'key' in m ? m.key : undefined, 'count' in m ? m.count : undefined])).toEqual([
      ['pricing', undefined, undefined],
      ['pricing', 'tenant-a', undefined],
      ['inventory', undefined, undefined],
    ]);
    for (let i = 0; i < 10; i++) bus.emit(rejected('pricing'));
    await clock.tickAsync(1_000);
    await turn();
    expect(reader.seen.slice(3)).toEqual([{ ...rejected('pricing'), count: 50_009 }]);
    // A quiet interval closes the window: the next one goes out at once again.
    await clock.tickAsync(1_000);
    bus.emit(rejected('pricing'));
    await turn();
    expect(reader.seen.slice(4)).toEqual([rejected('pricing')]);
  });

  it('never coalesces state changes', async () => {
    const { bus, subscribe } = setup();
    const reader = subscribe();
    for (let i = 0; i < 5; i++) bus.emit(opened('pricing'));
    await turn();
    expect(reader.seen).toHaveLength(5);
  });

  it('delivers in a turn of its own, never inside the call that emitted the event', async () => {
    const { bus, subscribe } = setup();
    const reader = subscribe();
    bus.emit(opened('pricing'));
    expect(reader.seen).toHaveLength(0);
    await turn();
    expect(reader.seen).toHaveLength(1);
  });

  it('drops events for a client that leaves too much unread, then says how many it missed', async () => {
    const { bus, subscribe } = setup();
    const response = new FakeResponse();
    const slow = subscribe(response);
    const fast = subscribe(new FakeResponse());
    response.writableNeedDrain = true;
    for (let i = 0; i < 7; i++) bus.emit(opened(`b${i}`));
    await turn();
    expect(slow.seen).toHaveLength(0);
    expect(fast.seen).toHaveLength(7);
    response.writableNeedDrain = false;
    response.writableLength = 5_000; // over maxUnreadBytes as well
    bus.emit(opened('b7'));
    await turn();
    expect(slow.seen).toHaveLength(0);
    response.writableLength = 0;
    bus.emit(opened('b8'));
    await turn();
    expect(slow.seen.map((m) => m.type)).toEqual(['dropped', 'state-change']);
    expect(slow.seen[0]).toMatchObject({ type: 'dropped', count: 8 });
    expect(fast.seen).toHaveLength(9);
  });

  it('disconnects a client that stays behind longer than slowReaderTimeoutMs', async () => {
    const { bus, clock, stream, subscribe } = setup();
    const response = new FakeResponse();
    const slow = subscribe(response);
    response.writableNeedDrain = true;
    bus.emit(opened('a'));
    await turn();
    await clock.tickAsync(29_999);
    bus.emit(opened('b'));
    await turn();
    expect(slow.completed()).toBe(false);
    await clock.tickAsync(1);
    bus.emit(opened('c'));
    await turn();
    expect(slow.completed()).toBe(true);
    expect(response.destroyed).toBe(true);
    expect(stream.size).toBe(0);
  });

  it('is full at maxSubscribers', () => {
    const { stream, subscribe } = setup();
    const readers = [subscribe(), subscribe()];
    expect(stream.full).toBe(false);
    readers.push(subscribe());
    expect(stream.full).toBe(true);
    readers[0]!.subscription.unsubscribe();
    expect(stream.full).toBe(false);
  });

  it('holds at most 1,000 messages between two deliveries, counting the rest as dropped', async () => {
    const { bus, subscribe } = setup();
    const reader = subscribe();
    for (let i = 0; i < 1_500; i++) bus.emit(opened(`b${i}`));
    await turn();
    expect(reader.seen).toHaveLength(1_001);
    expect(reader.seen[0]).toMatchObject({ type: 'dropped', count: 500 });
  });
});
