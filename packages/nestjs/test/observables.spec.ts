import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { Observable, isObservable, lastValueFrom, of, toArray, type Subscription } from 'rxjs';
import request from 'supertest';
import { FakeClock, flushMicrotasks } from '@bulwark/core';
import {
  CircuitBreaker,
  CircuitBreakerRegistry,
  Fallback,
  ResilienceModule,
  Retry,
  Timeout,
  TimeoutError,
  currentSignal,
} from '@bulwark/nestjs';
import { bootApp, CapturingLogger, PLATFORMS, type Platform } from './support/app.js';
import { waitFor } from './support/async.js';

const START = Date.UTC(2030, 0, 1);

/** Collects what a subscription sees. */
function observe<T>(source: Observable<T>): { values: T[]; error?: unknown; completed: boolean; subscription: Subscription } {
  const seen: { values: T[]; error?: unknown; completed: boolean; subscription?: Subscription } = { values: [], completed: false };
  seen.subscription = source.subscribe({
    next: (value) => seen.values.push(value),
    error: (error: unknown) => (seen.error = error),
    complete: () => (seen.completed = true),
  });
  return seen as { values: T[]; error?: unknown; completed: boolean; subscription: Subscription };
}

@Injectable()
class Streams {
  invocations = 0;
  subscriptions = 0;
  teardowns = 0;
  signals: (AbortSignal | undefined)[] = [];
  failFirst = 2;

  @Retry({ maxRetries: 3, baseDelay: 0 })
  retried(): Observable<string> {
    this.invocations++;
    return new Observable<string>((subscriber) => {
      this.subscriptions++;
      subscriber.next(`attempt ${this.subscriptions}`);
      if (this.subscriptions <= this.failFirst) subscriber.error(new Error(`failure ${this.subscriptions}`));
      else subscriber.complete();
      return () => this.teardowns++;
    });
  }

  @Timeout(100)
  slow(): Observable<number> {
    return new Observable<number>((subscriber) => {
      this.subscriptions++;
      this.signals.push(currentSignal());
      subscriber.next(1);
      return () => this.teardowns++;
    });
  }

  // A single policy and no timeout: the subscription still gets a signal of its own.
  @CircuitBreaker({ name: 'stream-breaker', failureThreshold: 3 })
  endless(): Observable<number> {
    return new Observable<number>((subscriber) => {
      this.subscriptions++;
      this.signals.push(currentSignal());
      subscriber.next(1);
      return () => this.teardowns++;
    });
  }

  @CircuitBreaker({ name: 'counted', failureThreshold: 3 })
  counted(fail: boolean): Observable<number> {
    return new Observable<number>((subscriber) => {
      this.subscriptions++;
      subscriber.next(1);
      subscriber.next(2);
      subscriber.next(3);
      if (fail) subscriber.error(new Error('stream broke'));
      else subscriber.complete();
    });
  }

  @Fallback({ fn: () => -1 })
  withFallbackValue(): Observable<number> {
    return new Observable<number>((subscriber) => {
      subscriber.next(1);
      subscriber.error(new Error('broke after one'));
    });
  }

  @Fallback('replacement')
  withFallbackStream(label: string): Observable<string> {
    return new Observable<string>((subscriber) => subscriber.error(new Error(`${label} broke`)));
  }
  replacement(label: string, error: Error): Observable<string> {
    return of(`${label}:a`, `${label}:b:${error.message}`);
  }

  @Retry({ maxRetries: 1, baseDelay: 0 })
  // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
  undeclared() {
    this.invocations++;
    return of(1, 2, 3);
  }
}

@Controller('streams')
class StreamController {
  subscriptions = 0;
  @Get('retried')
  @Retry({ maxRetries: 2, baseDelay: 0 })
  retried(): Observable<{ attempt: number }> {
    return new Observable((subscriber) => {
      this.subscriptions++;
      if (this.subscriptions < 3) {
        subscriber.error(new Error('not yet'));
        return;
      }
      subscriber.next({ attempt: this.subscriptions });
      subscriber.complete();
    });
  }

  @Get('slow')
  @Timeout(500)
  slow(): Observable<string> {
    return new Observable(() => {
      this.subscriptions++;
    });
  }

  @Get('fallback')
  @Fallback({ fn: () => ({ fallback: true }) })
  broken(): Observable<{ fallback: boolean }> {
    return new Observable((subscriber) => subscriber.error(new Error('broken')));
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('methods declared `: Observable<T>`', () => {
  let clock: FakeClock;
  let logger: CapturingLogger;
  const boot = async (): Promise<Streams> => {
    clock = new FakeClock(START);
    logger = new CapturingLogger();
    app = await bootApp('express', { imports: [ResilienceModule.forRoot({ clock })], providers: [Streams] }, { logger });
    return app.get(Streams);
  };

  it('return an Observable that does nothing until subscribed', async () => {
    const streams = await boot();
    const stream = streams.retried();
    expect(stream).toBeInstanceOf(Observable);
    await flushMicrotasks();
    expect(streams.subscriptions).toBe(0);
  });

  it('retry re-subscribes (and re-invokes the method) per attempt', async () => {
    const streams = await boot();
    const seen = observe(streams.retried());
    await waitFor(() => seen.completed || seen.error !== undefined, 'the stream to end');
    expect(seen.values).toEqual(['attempt 1', 'attempt 2', 'attempt 3']);
    expect(seen.completed).toBe(true);
    expect(streams.subscriptions).toBe(3);
    expect(streams.invocations).toBe(3);
    expect(streams.teardowns).toBe(3);

    // Each subscription is a call of its own.
    streams.subscriptions = 0;
    streams.failFirst = 10;
    const failing = observe(streams.retried());
    await waitFor(() => failing.error !== undefined, 'the stream to fail');
    expect(streams.subscriptions).toBe(4);
    expect((failing.error as Error).message).toBe('failure 4');
  });

  it('timeout errors with TimeoutError, unsubscribes the source and aborts its signal', async () => {
    const streams = await boot();
    const seen = observe(streams.slow());
    await flushMicrotasks();
    expect(seen.values).toEqual([1]);
    expect(streams.signals[0]).toBeInstanceOf(AbortSignal);
    await clock.tickAsync(99);
    expect(seen.error).toBeUndefined();
    expect(streams.teardowns).toBe(0);
    await clock.tickAsync(1);
    expect(seen.error).toBeInstanceOf(TimeoutError);
    expect(seen.error).toMatchObject({ policyName: 'Streams.slow', duration: 100 });
    expect(streams.teardowns).toBe(1);
    expect(streams.signals[0]!.aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });

  it('unsubscribing early tears the source down and aborts currentSignal()', async () => {
    const streams = await boot();
    const seen = observe(streams.slow());
    await flushMicrotasks();
    seen.subscription.unsubscribe();
    expect(streams.teardowns).toBe(1);
    expect(streams.signals[0]!.aborted).toBe(true);
    await clock.tickAsync(1_000);
    expect(seen.error).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  it('unsubscribing early aborts currentSignal() without a timeout too (a lone @CircuitBreaker)', async () => {
    const streams = await boot();
    const seen = observe(streams.endless());
    await flushMicrotasks();
    expect(seen.values).toEqual([1]);
    expect(streams.signals[0]).toBeInstanceOf(AbortSignal);
    expect(streams.signals[0]!.aborted).toBe(false);
    seen.subscription.unsubscribe();
    expect(streams.teardowns).toBe(1);
    expect(streams.signals[0]!.aborted).toBe(true);
  });

  it('the breaker counts one call per subscription, whatever the number of values', async () => {
    const streams = await boot();
    const breaker = app!.get(CircuitBreakerRegistry).get('counted')!;
    const ok = observe(streams.counted(false));
    await waitFor(() => ok.completed, 'completion');
    expect(ok.values).toEqual([1, 2, 3]);
    expect(breaker.snapshot().calls).toMatchObject({ success: 1, failure: 0 });
    for (let i = 0; i < 3; i++) {
      const failed = observe(streams.counted(true));
      await waitFor(() => failed.error !== undefined, 'the failure');
      expect(failed.values).toEqual([1, 2, 3]);
    }
    expect(breaker.snapshot().calls).toMatchObject({ success: 1, failure: 3 });
    expect(breaker.state).toBe('open');
    const rejected = observe(streams.counted(false));
    await waitFor(() => rejected.error !== undefined, 'the rejection');
    expect(rejected.error).toMatchObject({ name: 'CircuitOpenError', breakerName: 'counted' });
    expect(rejected.values).toEqual([]);
    expect(streams.subscriptions).toBe(4);
  });

  it('a fallback value is emitted after the values that came before the error', async () => {
    const streams = await boot();
    const seen = observe(streams.withFallbackValue());
    await waitFor(() => seen.completed, 'completion');
    expect(seen.values).toEqual([1, -1]);
    expect(seen.error).toBeUndefined();
  });

  it('a fallback method returning an Observable replaces the stream', async () => {
    const streams = await boot();
    const seen = observe(streams.withFallbackStream('x'));
    await waitFor(() => seen.completed, 'completion');
    expect(seen.values).toEqual(['x:a', 'x:b:x broke']);
  });

  it('a method returning an Observable without declaring it still returns an Observable, with no warning', async () => {
    const streams = await boot();
    const first: unknown = streams.undeclared();
    expect(isObservable(first)).toBe(true);
    expect(await lastValueFrom((first as Observable<number>).pipe(toArray()))).toEqual([1, 2, 3]);
    expect(await lastValueFrom((streams.undeclared() as Observable<number>).pipe(toArray()))).toEqual([1, 2, 3]);
    expect(logger.warnings()).toEqual([]);
  });
});

describe.each(PLATFORMS)('%s: Observable controller handlers', (platform: Platform) => {
  let clock: FakeClock;
  const boot = async () => {
    clock = new FakeClock(START);
    // The detail in the body tells which call timed out.
    app = await bootApp(platform, { imports: [ResilienceModule.forRoot({ clock, errorMapping: { detail: true } })], controllers: [StreamController] });
    return { server: app.getHttpServer(), controller: app.get(StreamController) };
  };

  it('retry re-subscribes the returned Observable', async () => {
    const { server, controller } = await boot();
    await request(server).get('/streams/retried').expect(200, { attempt: 3 });
    expect(controller.subscriptions).toBe(3);
  });

  it('a timeout becomes 504', async () => {
    const { server, controller } = await boot();
    const pending = Promise.resolve(request(server).get('/streams/slow'));
    await waitFor(() => controller.subscriptions === 1, 'the subscription');
    await clock.tickAsync(500);
    const response = await pending;
    expect(response.status).toBe(504);
    expect(response.body.message).toBe('Call "StreamController.slow" timed out after 500 ms');
  });

  it('the fallback value is the response', async () => {
    const { server } = await boot();
    await request(server).get('/streams/fallback').expect(200, { fallback: true });
  });
});
