import 'reflect-metadata';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  Body,
  Controller,
  Get,
  Injectable,
  Param,
  Post,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type INestApplication,
} from '@nestjs/common';
import { GUARDS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ClientProxyFactory, MessagePattern, Payload, Transport, type ClientProxy } from '@nestjs/microservices';
import { PATTERN_HANDLER_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants.js';
import { ApiOperation, DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { lastValueFrom } from 'rxjs';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, Fallback, ResilienceModule, Retry, Timeout } from '@bulwark/nestjs';
import { bootApp, PLATFORMS } from './support/app.js';

class Boom extends Error {}

const START = Date.UTC(2030, 0, 1);

@Injectable()
class HeaderGuard implements CanActivate {
  static checks = 0;
  canActivate(context: ExecutionContext): boolean {
    HeaderGuard.checks++;
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>();
    return req.headers['x-allow'] === 'yes';
  }
}

class ItemDto {
  name!: string;
  qty!: number;
}

/** Bulwark decorators written above the Nest ones (applied last, so they wrap decorated functions). */
@Controller('above')
class AboveController {
  readonly label = 'above-instance';
  bodyRuns = 0;

  @Fallback('recover')
  @CircuitBreaker({ name: 'above', failureThreshold: 1 })
  @Timeout(1_000)
  @Get('read/:id')
  @ApiOperation({ summary: 'Read above', operationId: 'readAbove' })
  async read(@Param('id') id: string): Promise<{ id: string; label: string }> {
    this.bodyRuns++;
    if (id === 'fail') throw new Boom('read failed');
    return { id, label: this.label };
  }

  @Retry({ maxRetries: 1, baseDelay: 0 })
  @Post('items')
  @ApiOperation({ summary: 'Create above' })
  async create(@Body() item: ItemDto): Promise<{ created: ItemDto; label: string }> {
    return { created: item, label: this.label };
  }

  @CircuitBreaker('above-guarded')
  @Get('guarded')
  @UseGuards(HeaderGuard)
  async guarded(): Promise<string> {
    this.bodyRuns++;
    return 'let in';
  }

  recover(id: string, error: Error): { id: string; label: string } {
    return { id, label: `${this.label}:fallback:${error.message}` };
  }
}

/** Bulwark decorators written below the Nest ones (applied first; Nest decorates the wrapper). */
@Controller('below')
class BelowController {
  readonly label = 'below-instance';
  bodyRuns = 0;

  @Get('read/:id')
  @ApiOperation({ summary: 'Read below', operationId: 'readBelow' })
  @Fallback('recover')
  @CircuitBreaker({ name: 'below', failureThreshold: 1 })
  @Timeout(1_000)
  async read(@Param('id') id: string): Promise<{ id: string; label: string }> {
    this.bodyRuns++;
    if (id === 'fail') throw new Boom('read failed');
    return { id, label: this.label };
  }

  @Post('items')
  @ApiOperation({ summary: 'Create below' })
  @Retry({ maxRetries: 1, baseDelay: 0 })
  async create(@Body() item: ItemDto): Promise<{ created: ItemDto; label: string }> {
    return { created: item, label: this.label };
  }

  @Get('guarded')
  @UseGuards(HeaderGuard)
  @CircuitBreaker('below-guarded')
  async guarded(): Promise<string> {
    this.bodyRuns++;
    return 'let in';
  }

  recover(id: string, error: Error): { id: string; label: string } {
    return { id, label: `${this.label}:fallback:${error.message}` };
  }
}

@Controller()
class MathController {
  calls = 0;

  @Fallback({ fn: () => -1 })
  @CircuitBreaker('sum')
  @MessagePattern({ cmd: 'sum' })
  async sum(@Payload() numbers: number[]): Promise<number> {
    this.calls++;
    if (numbers.length === 0) throw new Boom('nothing to add');
    return numbers.reduce((a, b) => a + b, 0);
  }

  @MessagePattern({ cmd: 'max' })
  @Fallback({ fn: () => -2 })
  @CircuitBreaker('max')
  async max(@Payload() numbers: number[]): Promise<number> {
    this.calls++;
    if (numbers.length === 0) throw new Boom('nothing to compare');
    return Math.max(...numbers);
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

describe('wrappers', () => {
  it('keep the name, the length and `this`', async () => {
    for (const [cls, key, length] of [
      [AboveController, 'read', 1],
      [BelowController, 'read', 1],
      [AboveController, 'create', 1],
      [MathController, 'sum', 1],
    ] as const) {
      const fn = (cls.prototype as unknown as Record<string, (...args: unknown[]) => unknown>)[key]!;
      expect(fn.name).toBe(key);
      expect(fn.length).toBe(length);
      expect(Reflect.getOwnMetadata('bulwark:resilience', fn)).toBeDefined();
      // design:* metadata lives on (prototype, key) and is untouched.
      expect(Reflect.getMetadata('design:paramtypes', cls.prototype, key)).toHaveLength(1);
      expect(Reflect.getMetadata('design:returntype', cls.prototype, key)).toBe(Promise);
    }
    app = await bootApp('express', {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      controllers: [AboveController, BelowController],
    });
    const above = app.get(AboveController);
    await expect(above.read('7')).resolves.toEqual({ id: '7', label: 'above-instance' });
    const detached = { label: 'another-this', bodyRuns: 0, read: BelowController.prototype.read };
    // Called on another object (not discovered), the original runs with that `this`.
    await expect(detached.read('8')).resolves.toEqual({ id: '8', label: 'another-this' });
  });

  it.each([
    ['above', AboveController],
    ['below', BelowController],
  ] as const)('%s: route, guard and swagger metadata survive on the wrapper', (_, cls) => {
    const proto = cls.prototype;
    expect(Reflect.getMetadata(PATH_METADATA, proto.read)).toBe('read/:id');
    expect(Reflect.getMetadata(METHOD_METADATA, proto.read)).toBe(0); // RequestMethod.GET
    expect(Reflect.getMetadata(PATH_METADATA, proto.create)).toBe('items');
    expect(Reflect.getMetadata(METHOD_METADATA, proto.create)).toBe(1); // RequestMethod.POST
    expect(Reflect.getMetadata(GUARDS_METADATA, proto.guarded)).toEqual([HeaderGuard]);
    expect(Reflect.getMetadata('swagger/apiOperation', proto.read)).toMatchObject({
      summary: cls === AboveController ? 'Read above' : 'Read below',
    });
  });

  it.each([
    ['above', 'sum', { cmd: 'sum' }],
    ['below', 'max', { cmd: 'max' }],
  ] as const)('%s: @MessagePattern metadata survives', (_, key, pattern) => {
    const fn = MathController.prototype[key];
    expect(Reflect.getMetadata(PATTERN_METADATA, fn)).toEqual([pattern]);
    expect(Reflect.getMetadata(PATTERN_HANDLER_METADATA, fn)).toBe(1); // PatternHandler.MESSAGE
  });
});

describe.each(PLATFORMS)('%s: decorated routes in both decorator orders', (platform) => {
  const boot = async (): Promise<INestApplication> => {
    HeaderGuard.checks = 0;
    app = await bootApp(platform, {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START) })],
      controllers: [AboveController, BelowController],
      providers: [HeaderGuard],
    });
    return app;
  };

  it.each(['above', 'below'])('%s: @Get + @Param works and the policies run', async (prefix) => {
    const server = (await boot()).getHttpServer();
    await request(server).get(`/${prefix}/read/42`).expect(200, { id: '42', label: `${prefix}-instance` });
    await request(server)
      .get(`/${prefix}/read/fail`)
      .expect(200, { id: 'fail', label: `${prefix}-instance:fallback:read failed` });
    // The breaker (threshold 1) is open now: the body no longer runs.
    await request(server)
      .get(`/${prefix}/read/43`)
      .expect(200, { id: '43', label: `${prefix}-instance:fallback:Circuit breaker "${prefix}" is open` });
    const controller = app!.get(prefix === 'above' ? AboveController : BelowController);
    expect(controller.bodyRuns).toBe(2);
    expect(app!.get(CircuitBreakerRegistry).get(prefix)!.state).toBe('open');
  });

  it.each(['above', 'below'])('%s: @Post + @Body works', async (prefix) => {
    const server = (await boot()).getHttpServer();
    await request(server)
      .post(`/${prefix}/items`)
      .send({ name: 'widget', qty: 3 })
      .expect(201, { created: { name: 'widget', qty: 3 }, label: `${prefix}-instance` });
  });

  it.each(['above', 'below'])('%s: the guard still runs (deny -> 403, allow -> 200)', async (prefix) => {
    const server = (await boot()).getHttpServer();
    const denied = await request(server).get(`/${prefix}/guarded`).expect(403);
    expect(denied.body).toMatchObject({ statusCode: 403, message: 'Forbidden resource' });
    const controller = app!.get(prefix === 'above' ? AboveController : BelowController);
    expect(controller.bodyRuns).toBe(0);
    await request(server).get(`/${prefix}/guarded`).set('x-allow', 'yes').expect(200).expect('let in');
    expect(controller.bodyRuns).toBe(1);
    expect(HeaderGuard.checks).toBe(2);
  });
});

describe('swagger document', () => {
  it('lists the decorated operations with their summaries in both orders', async () => {
    app = await bootApp('express', {
      imports: [ResilienceModule.forRoot({ clock: new FakeClock(START), health: false })],
      controllers: [AboveController, BelowController],
    });
    const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('t').build());
    expect(document.paths['/above/read/{id}']?.get).toMatchObject({ summary: 'Read above', operationId: 'readAbove' });
    expect(document.paths['/below/read/{id}']?.get).toMatchObject({ summary: 'Read below', operationId: 'readBelow' });
    expect(document.paths['/above/items']?.post?.summary).toBe('Create above');
    expect(document.paths['/below/items']?.post?.summary).toBe('Create below');
  });
});

describe('microservice (TCP, in process)', () => {
  let client: ClientProxy | undefined;
  afterEach(async () => {
    await client?.close();
    client = undefined;
  });

  it('routes @MessagePattern to decorated handlers in both orders, with policies applied', async () => {
    const port = await freePort();
    app = await bootApp(
      'express',
      { imports: [ResilienceModule.forRoot({ clock: new FakeClock(START), circuitBreakers: { sum: { failureThreshold: 1 } } })], controllers: [MathController] },
      { configure: (nest) => nest.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port } }, { inheritAppConfig: true }) },
    );
    await app.startAllMicroservices();
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
    await expect(lastValueFrom(client.send({ cmd: 'sum' }, [1, 2, 3]))).resolves.toBe(6);
    await expect(lastValueFrom(client.send({ cmd: 'max' }, [1, 9, 3]))).resolves.toBe(9);
    await expect(lastValueFrom(client.send({ cmd: 'sum' }, []))).resolves.toBe(-1);
    await expect(lastValueFrom(client.send({ cmd: 'max' }, []))).resolves.toBe(-2);
    expect(app.get(CircuitBreakerRegistry).get('sum')!.state).toBe('open');
    await expect(lastValueFrom(client.send({ cmd: 'sum' }, [1]))).resolves.toBe(-1);
    expect(app.get(MathController).calls).toBe(4);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
