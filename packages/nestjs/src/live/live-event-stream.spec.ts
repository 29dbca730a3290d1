import { EventEmitter as NodeEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from '@bulwark/core';
import type { MessageEvent } from '@nestjs/common';
import type { ResilienceEvent } from '../events/resilience-event.interface.js';
import { LiveEventStream } from './live-event-stream.js';

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
  it('replays what the bus kept before it existed, then follows it; ids are unique and ordered', () => {
    const bus = fakeBus([event('a'), event('b')]);
    const stream = new LiveEventStream(bus);
    bus.emit(event('c'));
    const seen: MessageEvent[] = [];
    const subscription = stream.observe().subscribe((message) => seen.push(message));
    bus.emit(event('d'));
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
