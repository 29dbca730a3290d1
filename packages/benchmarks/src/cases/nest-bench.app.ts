import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type DynamicModule, type INestApplication, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CircuitBreaker, Fallback, ResilienceModule, Retry, Timeout } from '@bulwark/nestjs';
import { Registry } from 'prom-client';
import { CALLS_PER_AMPLIFIED_REQUEST } from '../lib/http-endpoints.js';

/**
 * The provider every Nest case calls. Each decorated method has an undecorated twin with the same
 * body, so a comparison isolates what the decorators add.
 */
@Injectable()
export class BenchClient {
  /** What the in-flight methods wait for; replaced and resolved by the memory suite. */
  gate: Promise<number> = Promise.resolve(42);

  @Fallback('fallbackValue')
  @Retry()
  @CircuitBreaker()
  @Timeout(1_000)
  async value(): Promise<number> {
    return 42;
  }

  async plainValue(): Promise<number> {
    return 42;
  }

  @Fallback('fallbackValue')
  @Retry()
  @CircuitBreaker()
  @Timeout(60_000)
  async waitGate(): Promise<number> {
    return this.gate;
  }

  async plainWaitGate(): Promise<number> {
    return this.gate;
  }

  /** A wrong answer on purpose: a case that falls back fails the run. */
  fallbackValue(): number {
    return -1;
  }
}

/**
 * A provider whose only resilience is a breaker, as in an application that never uses a timeout:
 * its calls never enter an AsyncLocalStorage scope.
 */
@Injectable()
export class BreakerOnlyClient {
  @CircuitBreaker()
  async value(): Promise<number> {
    return 42;
  }
}

@Controller()
export class BenchController {
  constructor(private readonly client: BenchClient) {}

  @Get('bare')
  async bare(): Promise<{ value: number }> {
    return { value: await this.client.plainValue() };
  }

  @Get('decorated')
  async decorated(): Promise<{ value: number }> {
    return { value: await this.client.value() };
  }

  /** The same as `/bare`, registered after `/decorated`: the A/A control of the HTTP comparison. */
  @Get('bare-again')
  async bareAgain(): Promise<{ value: number }> {
    return { value: await this.client.plainValue() };
  }

  /** A hundred undecorated calls per request: with `/decorated-x100`, the cost of one decorated call inside the server. */
  @Get('bare-x100')
  async bareX100(): Promise<{ value: number }> {
    let value = 0;
    for (let call = 0; call < CALLS_PER_AMPLIFIED_REQUEST; call++) value = await this.client.plainValue();
    return { value };
  }

  @Get('decorated-x100')
  async decoratedX100(): Promise<{ value: number }> {
    let value = 0;
    for (let call = 0; call < CALLS_PER_AMPLIFIED_REQUEST; call++) value = await this.client.value();
    return { value };
  }
}

@Module({
  imports: [ResilienceModule.forRoot({ health: false })],
  providers: [BenchClient],
})
export class BenchModule {}

@Module({
  imports: [ResilienceModule.forRoot({ health: false })],
  controllers: [BenchController],
  providers: [BenchClient],
})
export class HttpBenchModule {}

/** The HTTP app with Prometheus metrics on (its own registry): what an observed app pays per request. */
@Module({
  imports: [ResilienceModule.forRoot({ health: false, metrics: { registry: new Registry() } })],
  controllers: [BenchController],
  providers: [BenchClient],
})
export class HttpMetricsBenchModule {}

@Module({
  imports: [ResilienceModule.forRoot({ health: false })],
  providers: [BreakerOnlyClient],
})
export class BreakerOnlyBenchModule {}

/** The same provider with Prometheus metrics on (its own registry): what an observed app pays. */
@Module({
  imports: [ResilienceModule.forRoot({ health: false, metrics: { registry: new Registry() } })],
  providers: [BenchClient],
})
export class MetricsBenchModule {}

/** The same provider with breakers shared through a Redis store (`@bulwark/redis`). */
async function storeBenchModule(url: string): Promise<{ module: DynamicModule; close(): void }> {
  const { Redis } = await import('ioredis');
  const { redisStore } = await import('@bulwark/redis');
  const client = new Redis(url);
  @Module({})
  class StoreBenchModule {}
  return {
    module: { module: StoreBenchModule, imports: [ResilienceModule.forRoot({ health: false, store: redisStore({ client, prefix: `bench-${process.pid}` }) })], providers: [BenchClient] },
    close: () => client.disconnect(),
  };
}

/** The decorated provider of an app whose breakers are shared through Redis at `url`. */
export async function bootStoreBenchContext(url: string): Promise<{ client: BenchClient; app: INestApplicationContext; close(): Promise<void> }> {
  const { module, close } = await storeBenchModule(url);
  const app = await NestFactory.createApplicationContext(module, { logger: false });
  await app.init();
  return {
    client: app.get(BenchClient),
    app,
    async close() {
      await app.close();
      close();
    },
  };
}

/** A booted application context (no HTTP): the decorated provider as the app would inject it. */
export async function bootBenchContext(withMetrics = false): Promise<{ client: BenchClient; app: INestApplicationContext }> {
  const app = await NestFactory.createApplicationContext(withMetrics ? MetricsBenchModule : BenchModule, { logger: false });
  await app.init();
  return { client: app.get(BenchClient), app };
}

/** A booted application context whose one provider has a breaker-only decorated method. */
export async function bootBreakerOnlyContext(): Promise<{ client: BreakerOnlyClient; app: INestApplicationContext }> {
  const app = await NestFactory.createApplicationContext(BreakerOnlyBenchModule, { logger: false });
  await app.init();
  return { client: app.get(BreakerOnlyClient), app };
}

/** An Express application of the HTTP suite (metrics off or on), listening on an ephemeral port. */
export async function bootHttpApp(withMetrics = false): Promise<{ app: INestApplication; port: number }> {
  const app = await NestFactory.create(withMetrics ? HttpMetricsBenchModule : HttpBenchModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, port: address.port };
}
