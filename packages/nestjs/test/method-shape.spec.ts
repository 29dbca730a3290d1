import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, type INestApplication } from '@nestjs/common';
import { isObservable, lastValueFrom, map, Observable, of, toArray } from 'rxjs';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, CircuitOpenError, Fallback, ResilienceModule, Retry, Timeout } from '@bulwark/nestjs';
import { bootApp, CapturingLogger, PLATFORMS, type Platform } from './support/app.js';

/**
 * What the compiler may have recorded for a method with no usable return type: nothing at all
 * (esbuild, SWC without decoratorMetadata), `undefined` (no annotation), `Object` (`any`, an
 * interface, a union) or `Function` (a type-only `import { type Observable }`).
 */
const METADATA: [string, ((target: object, key: string) => void)][] = [
  ['no metadata (esbuild, SWC without decoratorMetadata)', (target, key) => Reflect.deleteMetadata('design:returntype', target, key)],
  ['no annotation', (target, key) => Reflect.defineMetadata('design:returntype', undefined, target, key)],
  ['`any`', (target, key) => Reflect.defineMetadata('design:returntype', Object, target, key)],
  ['a type-only import of Observable', (target, key) => Reflect.defineMetadata('design:returntype', Function, target, key)],
];

/** A cold source, as `HttpService.get` returns: each subscription is one request. */
function httpLike(client: Client, fail: () => boolean): Observable<{ data: number[] }> {
  return new Observable((subscriber) => {
    client.requests++;
    if (fail()) subscriber.error(new Error('502 from upstream'));
    else {
      subscriber.next({ data: [1, 2, 3] });
      subscriber.complete();
    }
  });
}

@Injectable()
class Client {
  invocations = 0;
  requests = 0;
  failures = 0;

  @Retry({ maxRetries: 2, baseDelay: 0 })
  @CircuitBreaker({ name: 'shape-list', failureThreshold: 10 })
  // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
  list() {
    this.invocations++;
    return httpLike(this, () => this.failures-- > 0).pipe(map((response) => response.data));
  }

  @CircuitBreaker({ name: 'shape-price', failureThreshold: 10 })
  // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
  price(sku: string) {
    this.invocations++;
    return Promise.resolve(`${sku}:42`);
  }

  @Fallback({ staleIfError: { maxAge: 60_000 } })
  // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
  stock(sku: string) {
    this.invocations++;
    return httpLike(this, () => this.failures-- > 0).pipe(map((response) => response.data.map((n) => `${sku}:${n}`)));
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(METADATA)('a decorated method with %s', (_label, erase) => {
  const boot = async (): Promise<{ client: Client; breakers: CircuitBreakerRegistry; logger: CapturingLogger }> => {
    for (const key of ['list', 'price', 'stock']) erase(Client.prototype, key);
    const logger = new CapturingLogger();
    app = await bootApp('express', { imports: [ResilienceModule.forRoot({ clock: new FakeClock() })], providers: [Client] }, { logger });
    return { client: app.get(Client), breakers: app.get(CircuitBreakerRegistry), logger };
  };

  it('returns an Observable when the method does, with policies per subscription and every counter exact', async () => {
    const { client, breakers, logger } = await boot();
    const first = client.list();
    expect(isObservable(first)).toBe(true);
    expect(client.requests).toBe(0); // nothing happens until subscribed
    expect(await lastValueFrom(first)).toEqual([1, 2, 3]);
    // The first call's own invocation only told its shape: it was withdrawn, never subscribed.
    expect(client.requests).toBe(1);
    client.failures = 2;
    expect(await lastValueFrom(client.list().pipe(map((data) => data.length)))).toBe(3);
    expect(client.requests).toBe(4); // retry re-subscribed twice (re-invoking the method)
    expect(breakers.get('shape-list')!.snapshot().calls).toMatchObject({ success: 2, failure: 2, ignored: 0 });
    expect(logger.warnings()).toEqual([]);
  });

  it('returns a Promise when the method does, invoking it once per attempt', async () => {
    const { client, breakers } = await boot();
    const first = client.price('a');
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toBe('a:42');
    expect(await client.price('b')).toBe('b:42');
    expect(client.invocations).toBe(2);
    expect(breakers.get('shape-price')!.snapshot().calls).toMatchObject({ success: 2, failure: 0, ignored: 0 });
  });

  it('serves staleIfError with the method\'s own values', async () => {
    const { client } = await boot();
    expect(await lastValueFrom(client.stock('x'))).toEqual(['x:1', 'x:2', 'x:3']);
    client.failures = 1;
    expect(await lastValueFrom(client.stock('x').pipe(toArray()))).toEqual([['x:1', 'x:2', 'x:3']]);
  });

  it('answers a first call refused before the method ran both ways, then returns the method\'s own shape', async () => {
    const { client, breakers } = await boot();
    breakers.forceOpen('shape-list');
    const refused = client.list() as unknown as Observable<number[]> & PromiseLike<number[]>;
    await expect(Promise.resolve(refused)).rejects.toBeInstanceOf(CircuitOpenError);
    await expect(lastValueFrom(refused)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(client.invocations).toBe(0);
    breakers.reset('shape-list');
    const next = client.list();
    expect(isObservable(next)).toBe(true);
    expect(next).not.toHaveProperty('then');
    expect(await lastValueFrom(next)).toEqual([1, 2, 3]);
  });

  it('gives a half-open breaker\'s trial to the subscription, not to the invocation that told the shape', async () => {
    const clock = new FakeClock();
    for (const key of ['list', 'price', 'stock']) erase(Client.prototype, key);
    app = await bootApp('express', { imports: [ResilienceModule.forRoot({ clock })], providers: [Client] });
    const client = app.get(Client);
    const breaker = app.get(CircuitBreakerRegistry).get('shape-list')!;
    for (let i = 0; i < 10; i++) await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(breaker.snapshot().state).toBe('open');
    clock.advance(30_000); // the next call is the one trial of the half-open round
    expect(await lastValueFrom(client.list())).toEqual([1, 2, 3]);
    expect(breaker.snapshot().state).toBe('closed');
  });
});

@Controller('shapes')
class ShapeController {
  calls = 0;

  @Get('list')
  @Retry({ maxRetries: 1, baseDelay: 0 })
  // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
  list() {
    return new Observable<number[]>((subscriber) => {
      if (++this.calls === 1) return subscriber.error(new Error('first fails'));
      subscriber.next([1, 2]);
      subscriber.complete();
    });
  }

  @Get('slow')
  @Timeout(50)
  // eslint-disable-next-line @typescript-eslint/explicit-function-return-type
  slow() {
    return of('never').pipe(map((value) => value));
  }
}

describe.each(PLATFORMS)('%s: a controller handler with no declared return type returning an Observable', (platform: Platform) => {
  it('answers with the Observable\'s value after the policies ran per subscription', async () => {
    Reflect.deleteMetadata('design:returntype', ShapeController.prototype, 'list');
    app = await bootApp(platform, { imports: [ResilienceModule.forRoot({ clock: new FakeClock() })], controllers: [ShapeController] });
    await request(app.getHttpServer()).get('/shapes/list').expect(200, [1, 2]);
    await request(app.getHttpServer()).get('/shapes/slow').expect(200, 'never');
  });
});
