import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  BadRequestException,
  Catch,
  Controller,
  Get,
  HttpException,
  Injectable,
  UseFilters,
  type ArgumentsHost,
  type ExceptionFilter,
  type INestApplication,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import {
  Bulkhead,
  CircuitBreaker,
  CircuitBreakerRegistry,
  CircuitOpenError,
  ResilienceModule,
  Timeout,
  TimeoutError,
  currentSignal,
  type ResilienceModuleOptions,
} from '@bulwark/nestjs';
import { bootApp, CapturingLogger, PLATFORMS, type Platform } from './support/app.js';
import { deferred, waitFor, type Deferred } from './support/async.js';

const START = Date.UTC(2030, 0, 1);

@Injectable()
class Upstream {
  fail = true;
  started = 0;
  gate: Deferred<void> = deferred();

  @CircuitBreaker('upstream')
  async fetch(): Promise<string> {
    if (this.fail) throw new Error('upstream down');
    return 'fresh';
  }

  @Timeout(2_000)
  async slow(): Promise<string> {
    this.started++;
    const signal = currentSignal()!;
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  }

  @Bulkhead({ name: 'exports', maxConcurrent: 1, maxQueue: 0 })
  async export(): Promise<string> {
    this.started++;
    await this.gate.promise;
    return 'exported';
  }
}

@Controller('api')
class ApiController {
  constructor(private readonly upstream: Upstream) {}

  @Get('breaker')
  async breaker(): Promise<string> {
    return this.upstream.fetch();
  }

  @Get('timeout')
  async timeout(): Promise<string> {
    return this.upstream.slow();
  }

  @Get('bulkhead')
  async bulkhead(): Promise<string> {
    return this.upstream.export();
  }

  @Get('bad-request')
  async badRequest(): Promise<string> {
    throw new BadRequestException('not a resilience error');
  }

  @Get('raw-open')
  async rawOpen(): Promise<string> {
    // Thrown directly (no breaker involved): 10.2 s left rounds up to 11.
    throw new CircuitOpenError('manual', 10_200);
  }

  @Get('raw-timeout')
  async rawTimeout(): Promise<string> {
    throw new TimeoutError('manual', 5);
  }
}

/** An application's own global filter for every HttpException. */
@Catch(HttpException)
class BrandedHttpFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(exception: HttpException, host: ArgumentsHost): void {
    const { httpAdapter } = this.adapterHost;
    const cause = (exception as { cause?: unknown }).cause;
    httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { branded: true, status: exception.getStatus(), cause: cause instanceof Error ? cause.name : null },
      exception.getStatus(),
    );
  }
}

@Catch(HttpException)
class ControllerFilter implements ExceptionFilter {
  constructor(private readonly adapterHost: HttpAdapterHost) {}
  catch(exception: HttpException, host: ArgumentsHost): void {
    this.adapterHost.httpAdapter.reply(host.switchToHttp().getResponse(), { scope: 'controller', status: exception.getStatus() }, exception.getStatus());
  }
}

@Controller('filtered')
@UseFilters(ControllerFilter)
class FilteredController {
  constructor(private readonly upstream: Upstream) {}
  @Get('breaker')
  async breaker(): Promise<string> {
    return this.upstream.fetch();
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: HTTP error mapping', (platform: Platform) => {
  let clock: FakeClock;
  const boot = async (options: Partial<ResilienceModuleOptions> = {}, configure?: (nest: INestApplication) => void, logger?: CapturingLogger) => {
    clock = new FakeClock(START);
    app = await bootApp(
      platform,
      {
        imports: [
          ResilienceModule.forRoot({ clock, circuitBreakers: { upstream: { failureThreshold: 1, recoveryTimeout: 30_000 } }, ...options }),
        ],
        controllers: [ApiController, FilteredController],
        providers: [Upstream, ControllerFilter],
      },
      { configure, logger },
    );
    return { server: app.getHttpServer(), upstream: app.get(Upstream) };
  };

  it('CircuitOpenError -> 503 with Retry-After in whole seconds, rounded up, from the remaining open time', async () => {
    const { server } = await boot();
    const first = await request(server).get('/api/breaker').expect(500);
    expect(first.headers['retry-after']).toBeUndefined();
    let response = await request(server).get('/api/breaker').expect(503);
    expect(response.headers['retry-after']).toBe('30');
    expect(response.body).toEqual({ statusCode: 503, message: 'Service temporarily unavailable', error: 'Service Unavailable' });
    await clock.tickAsync(12_300);
    response = await request(server).get('/api/breaker').expect(503);
    expect(response.headers['retry-after']).toBe('18');
    await clock.tickAsync(17_000);
    response = await request(server).get('/api/breaker').expect(503);
    expect(response.headers['retry-after']).toBe('1');
    await request(server).get('/api/raw-open').expect(503).expect('Retry-After', '11');
  });

  it('a forced-open breaker -> 503 without Retry-After (no known end)', async () => {
    const { server } = await boot();
    app!.get(CircuitBreakerRegistry).forceOpen('upstream');
    const response = await request(server).get('/api/breaker').expect(503);
    expect(response.headers['retry-after']).toBeUndefined();
    expect(response.body).toEqual({ statusCode: 503, message: 'Service temporarily unavailable', error: 'Service Unavailable' });
  });

  it('TimeoutError -> 504', async () => {
    const { server, upstream } = await boot();
    const pending = Promise.resolve(request(server).get('/api/timeout'));
    await waitFor(() => upstream.started === 1, 'the call to start');
    await clock.tickAsync(2_000);
    const response = await pending;
    expect(response.status).toBe(504);
    expect(response.body).toEqual({ statusCode: 504, message: 'The service did not answer in time', error: 'Gateway Timeout' });
    await request(server).get('/api/raw-timeout').expect(504);
  });

  it('BulkheadFullError -> 503 without Retry-After', async () => {
    const { server, upstream } = await boot();
    const holder = Promise.resolve(request(server).get('/api/bulkhead'));
    await waitFor(() => upstream.started === 1, 'the first call to hold the slot');
    const rejected = await request(server).get('/api/bulkhead');
    upstream.gate.resolve(); // before any expectation: a failing one must not leave the held call pending
    expect(rejected.status).toBe(503);
    expect(rejected.headers['retry-after']).toBeUndefined();
    expect(rejected.body).toEqual({ statusCode: 503, message: 'Service temporarily unavailable', error: 'Service Unavailable' });
    const held = await holder;
    expect(held.status).toBe(200);
    expect(held.text).toBe('exported');
  });

  it('errorMapping: { detail: true } puts the error’s own message back in the body', async () => {
    const { server, upstream } = await boot({ errorMapping: { detail: true } });
    await request(server).get('/api/breaker').expect(500);
    const open = await request(server).get('/api/breaker').expect(503);
    expect(open.body).toEqual({ statusCode: 503, message: 'Circuit breaker "upstream" is open', error: 'Service Unavailable' });
    expect(open.headers['retry-after']).toBe('30');
    const pending = Promise.resolve(request(server).get('/api/timeout'));
    await waitFor(() => upstream.started === 1, 'the call to start');
    await clock.tickAsync(2_000);
    expect((await pending).body).toEqual({ statusCode: 504, message: 'Call "Upstream.slow" timed out after 2000 ms', error: 'Gateway Timeout' });
    const holder = Promise.resolve(request(server).get('/api/bulkhead'));
    await waitFor(() => upstream.started === 2, 'the first call to hold the slot');
    const full = await request(server).get('/api/bulkhead');
    upstream.gate.resolve();
    await holder;
    expect(full.body).toEqual({ statusCode: 503, message: 'Bulkhead "exports" is full (1 running, 0 queued)', error: 'Service Unavailable' });
  });

  it('logs the detail it keeps out of the body, once per error, rate-limited per policy', async () => {
    const logger = new CapturingLogger();
    const { server, upstream } = await boot({ logging: { rateLimitMs: 10_000 } }, undefined, logger);
    const lines = (): string[] => logger.messages.filter((m) => m.context === 'Bulwark' && m.message.includes(' answered ')).map((m) => `${m.level}: ${m.message}`);
    await request(server).get('/api/breaker').expect(500);
    for (let i = 0; i < 3; i++) await request(server).get('/api/breaker').expect(503);
    const pending = Promise.resolve(request(server).get('/api/timeout'));
    await waitFor(() => upstream.started === 1, 'the call to start');
    await clock.tickAsync(2_000);
    await pending;
    expect(lines()).toEqual([
      'warn: ApiController.breaker answered 503: Circuit breaker "upstream" is open',
      'warn: ApiController.timeout answered 504: Call "Upstream.slow" timed out after 2000 ms',
    ]);
    await clock.tickAsync(8_000); // the interval of the first line ends: the latest repeat, with the count
    expect(lines()[2]).toBe(
      'warn: ApiController.breaker answered 503: Circuit breaker "upstream" is open [1 similar line suppressed; this is the latest of the last 10 s]',
    );
    expect(lines()).toHaveLength(3);
  });

  it('logs nothing with logging: false', async () => {
    const logger = new CapturingLogger();
    const { server } = await boot({ logging: false }, undefined, logger);
    await request(server).get('/api/breaker').expect(500);
    await request(server).get('/api/breaker').expect(503);
    expect(logger.messages.filter((m) => m.context === 'Bulwark')).toEqual([]);
  });

  it('leaves other errors alone', async () => {
    const { server } = await boot();
    await request(server).get('/api/bad-request').expect(400, { statusCode: 400, message: 'not a resilience error', error: 'Bad Request' });
    await request(server).get('/api/breaker').expect(500, { statusCode: 500, message: 'Internal server error' });
  });

  it('errorMapping: false turns it off (500 everywhere, no Retry-After)', async () => {
    const { server, upstream } = await boot({ errorMapping: false });
    await request(server).get('/api/breaker').expect(500);
    const open = await request(server).get('/api/breaker').expect(500, { statusCode: 500, message: 'Internal server error' });
    expect(open.headers['retry-after']).toBeUndefined();
    const pending = Promise.resolve(request(server).get('/api/timeout'));
    await waitFor(() => upstream.started === 1, 'the call to start');
    await clock.tickAsync(2_000);
    expect((await pending).status).toBe(500);
    const holder = Promise.resolve(request(server).get('/api/bulkhead'));
    await waitFor(() => upstream.started === 2, 'the bulkhead call to start');
    await request(server).get('/api/bulkhead').expect(500);
    upstream.gate.resolve();
    expect((await holder).status).toBe(200);
  });

  it("an application's global exception filter still renders the mapped responses", async () => {
    const { server } = await boot({}, (nest) => nest.useGlobalFilters(new BrandedHttpFilter(nest.get(HttpAdapterHost))));
    await request(server).get('/api/bad-request').expect(400, { branded: true, status: 400, cause: null });
    await request(server).get('/api/breaker').expect(500);
    const response = await request(server).get('/api/breaker').expect(503);
    expect(response.body).toEqual({ branded: true, status: 503, cause: 'CircuitOpenError' });
    expect(response.headers['retry-after']).toBe('30');
    await request(server).get('/api/raw-timeout').expect(504, { branded: true, status: 504, cause: 'TimeoutError' });
  });

  it('a controller-level exception filter still renders the mapped responses', async () => {
    const { server } = await boot();
    await request(server).get('/filtered/breaker').expect(500);
    const response = await request(server).get('/filtered/breaker').expect(503, { scope: 'controller', status: 503 });
    expect(response.headers['retry-after']).toBe('30');
  });
});
