import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  Injectable,
  NotFoundException,
  Param,
  ServiceUnavailableException,
  type INestApplication,
} from '@nestjs/common';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, ResilienceModule, Retry, RetryRegistry } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1);

/** `missing` answers 404 and `broken` 503, both thrown on purpose as HttpExceptions; anything else is found. */
function answer(id: string): { id: string } {
  if (id === 'missing') throw new NotFoundException(`No item ${id}`);
  if (id === 'broken') throw new ServiceUnavailableException('Inventory is down');
  return { id };
}

@Controller('breaker')
class BreakerController {
  calls = 0;
  @Get(':id')
  @CircuitBreaker({ name: 'catalog', failureThreshold: 2 })
  async find(@Param('id') id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }
}

@Controller('retry')
class RetryController {
  calls = 0;
  @Get(':id')
  @Retry({ name: 'lookup', maxRetries: 2, baseDelay: 0 })
  async find(@Param('id') id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }
}

/** A user's own `isFailure` / `retryOn` replaces the default entirely, both ways. */
@Controller('custom')
class CustomController {
  calls = 0;
  @Get('strict/:id')
  @CircuitBreaker({ name: 'strict', failureThreshold: 2, isFailure: () => true })
  async strict(@Param('id') id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }

  @Get('lenient/:id')
  @CircuitBreaker({ name: 'lenient', failureThreshold: 2, isFailure: (error) => !(error instanceof ServiceUnavailableException) })
  async lenient(@Param('id') id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }

  @Get('retry-404/:id')
  @Retry({ name: 'retry-404', maxRetries: 2, baseDelay: 0, retryOn: [NotFoundException] })
  async retry404(@Param('id') id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }

  @Get('never/:id')
  @Retry({ name: 'never', maxRetries: 2, baseDelay: 0, retryOn: () => false })
  async never(@Param('id') id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }
}

@Injectable()
class Tenants {
  calls = 0;
  @CircuitBreaker({ name: 'tenants', key: (tenant: string) => tenant, failureThreshold: 2 })
  async load(tenant: string, id: string): Promise<{ id: string }> {
    this.calls++;
    return answer(id);
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe.each(PLATFORMS)('%s: client errors are not dependency failures', (platform: Platform) => {
  const boot = async () => {
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      controllers: [BreakerController, RetryController, CustomController],
      providers: [Tenants],
    });
    return app.getHttpServer();
  };

  it('a 404 thrown by a decorated handler counts as a success: ten of them leave the breaker closed', async () => {
    const server = await boot();
    for (let i = 0; i < 10; i++) await request(server).get('/breaker/missing').expect(404);
    const breaker = app!.get(CircuitBreakerRegistry).get('catalog')!;
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().calls).toMatchObject({ success: 10, failure: 0 });
    await request(server).get('/breaker/1').expect(200, { id: '1' });
    expect(app!.get(BreakerController).calls).toBe(11);
  });

  it('a 503 HttpException still counts: two of them open the breaker', async () => {
    const server = await boot();
    await request(server).get('/breaker/broken').expect(503);
    await request(server).get('/breaker/broken').expect(503);
    expect(app!.get(CircuitBreakerRegistry).get('catalog')!.state).toBe('open');
    await request(server).get('/breaker/1').expect(503);
    expect(app!.get(BreakerController).calls).toBe(2);
  });

  it('a 404 is not retried; a 503 is', async () => {
    const server = await boot();
    const controller = app!.get(RetryController);
    await request(server).get('/retry/missing').expect(404);
    await request(server).get('/retry/missing').expect(404);
    expect(controller.calls).toBe(2);
    await request(server).get('/retry/broken').expect(503);
    expect(controller.calls).toBe(5);
  });

  it("the user's isFailure replaces the default both ways", async () => {
    const server = await boot();
    const breakers = app!.get(CircuitBreakerRegistry);
    await request(server).get('/custom/strict/missing').expect(404);
    await request(server).get('/custom/strict/missing').expect(404);
    expect(breakers.get('strict')!.state).toBe('open');
    await request(server).get('/custom/lenient/broken').expect(503);
    await request(server).get('/custom/lenient/broken').expect(503);
    expect(breakers.get('lenient')!.state).toBe('closed');
  });

  it("the user's retryOn replaces the default both ways", async () => {
    const server = await boot();
    const controller = app!.get(CustomController);
    await request(server).get('/custom/retry-404/missing').expect(404);
    expect(controller.calls).toBe(3);
    await request(server).get('/custom/never/broken').expect(503);
    expect(controller.calls).toBe(4);
  });

  it('per-key breakers and policies created through the registries classify the same way', async () => {
    await boot();
    const tenants = app!.get(Tenants);
    for (let i = 0; i < 3; i++) await expect(tenants.load('acme', 'missing')).rejects.toBeInstanceOf(NotFoundException);
    const family = app!.get(CircuitBreakerRegistry).family('tenants')!;
    expect(family.peek('acme')!.state).toBe('closed');
    for (let i = 0; i < 2; i++) await expect(tenants.load('acme', 'broken')).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(family.peek('acme')!.state).toBe('open');

    const breakers = app!.get(CircuitBreakerRegistry);
    const manual = breakers.create('manual', { failureThreshold: 1 });
    await expect(manual.execute(() => answer('missing'))).rejects.toBeInstanceOf(NotFoundException);
    expect(manual.state).toBe('closed');
    const manualFamily = breakers.createFamily('manual-family', { failureThreshold: 1 });
    await expect(manualFamily.get('k').execute(() => answer('missing'))).rejects.toBeInstanceOf(NotFoundException);
    expect(manualFamily.get('k').state).toBe('closed');

    const retry = app!.get(RetryRegistry).create('manual', { maxRetries: 2, baseDelay: 0 });
    let attempts = 0;
    await expect(retry.execute(() => (attempts++, answer('missing')))).rejects.toBeInstanceOf(NotFoundException);
    expect(attempts).toBe(1);
    await expect(retry.execute(() => (attempts++, answer('broken')))).rejects.toBeInstanceOf(ServiceUnavailableException);
    expect(attempts).toBe(4);
  });
});
