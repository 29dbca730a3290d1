import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { FakeClock } from '@bulwark/core';
import { CircuitBreakerRegistry, ResilienceModule, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { bootApp, CapturingLogger, PLATFORMS, type Platform } from './support/app.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();
const ACTIONS = ['force-open', 'disable', 'reset'] as const;

/** A dependency of the application, as a real admin guard would have (a token store, an auth service). */
@Injectable()
class AdminTokens {
  isValid(token: unknown): boolean {
    return token === 's3cret';
  }
}

/** Registered as a provider of the application: Bulwark must use that instance, with its dependency. */
@Injectable()
class TokenGuard implements CanActivate {
  constructor(private readonly tokens: AdminTokens) {}
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>();
    return this.tokens.isValid(req.headers['x-admin-token']);
  }
}

/** Not registered anywhere: Bulwark creates it. */
class DenyAllGuard implements CanActivate {
  static calls = 0;
  canActivate(): boolean {
    DenyAllGuard.calls++;
    return false;
  }
}

class AllowAllGuard implements CanActivate {
  async canActivate(): Promise<boolean> {
    return true;
  }
}

@Module({ providers: [AdminTokens, TokenGuard], exports: [AdminTokens] })
class AuthModule {}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const closed = { state: 'closed', critical: false, failureCount: 0, failureRate: 0, openedAt: null, nextAttemptAt: null };

describe.each(PLATFORMS)('%s: admin endpoints', (platform: Platform) => {
  let clock: FakeClock;
  let logger: CapturingLogger;

  const boot = async (options: Partial<ResilienceModuleOptions> = {}) => {
    clock = new FakeClock(START);
    logger = new CapturingLogger();
    app = await bootApp(
      platform,
      { imports: [AuthModule, ResilienceModule.forRoot({ clock, circuitBreakers: { pricing: {}, search: {} }, ...options })] },
      { logger },
    );
    return { server: app.getHttpServer(), breakers: app.get(CircuitBreakerRegistry) };
  };

  const adminLines = () => logger.messages.filter((entry) => entry.message.startsWith('Admin '));

  it('are not mounted without the admin option', async () => {
    const { server, breakers } = await boot();
    for (const action of ACTIONS) await request(server).post(`/health/resilience/pricing/${action}`).expect(404);
    expect(breakers.get('pricing')!.state).toBe('closed');
    expect(adminLines()).toEqual([]);
  });

  it('answer 403 and change nothing when the guard denies', async () => {
    DenyAllGuard.calls = 0;
    const { server, breakers } = await boot({ admin: { guard: DenyAllGuard } });
    for (const action of ACTIONS) {
      const response = await request(server).post(`/health/resilience/pricing/${action}`).expect(403);
      expect(response.body).toMatchObject({ statusCode: 403 });
    }
    expect(DenyAllGuard.calls).toBe(3);
    // The guard runs before the name is looked up: a denied caller cannot probe for breaker names.
    await request(server).post('/health/resilience/nope/force-open').expect(403);
    expect(breakers.get('pricing')!.state).toBe('closed');
    await request(server).get('/health/resilience').expect(200, { status: 'up', circuitBreakers: { pricing: closed, search: closed } });
    expect(adminLines()).toEqual([]);
  });

  it("use the application's guard instance: force-open, disable and reset show in /health/resilience, each logged with the IP", async () => {
    const { server } = await boot({ admin: { guard: TokenGuard } });
    await request(server).post('/health/resilience/pricing/force-open').set('x-admin-token', 'wrong').expect(403);
    await request(server).post('/health/resilience/pricing/force-open').expect(403);

    await clock.tickAsync(1_000);
    const forced = await request(server).post('/health/resilience/pricing/force-open').set('x-admin-token', 's3cret').expect(200);
    expect(forced.headers['content-type']).toMatch(/^application\/json/);
    expect(forced.body).toEqual({ ...closed, state: 'forced-open', openedAt: iso(START + 1_000) });
    let health = (await request(server).get('/health/resilience').expect(200)).body;
    expect(health).toEqual({ status: 'degraded', circuitBreakers: { pricing: forced.body, search: closed } });

    const disabled = await request(server).post('/health/resilience/pricing/disable').set('x-admin-token', 's3cret').expect(200);
    expect(disabled.body).toEqual({ ...closed, state: 'disabled' });
    health = (await request(server).get('/health/resilience').expect(200)).body;
    expect(health).toEqual({ status: 'up', circuitBreakers: { pricing: { ...closed, state: 'disabled' }, search: closed } });

    await request(server).post('/health/resilience/pricing/reset').set('x-admin-token', 's3cret').expect(200, closed);
    await request(server).get('/health/resilience').expect(200, { status: 'up', circuitBreakers: { pricing: closed, search: closed } });

    const lines = adminLines();
    expect(lines.map((entry) => [entry.level, entry.context])).toEqual([
      ['warn', 'Bulwark'],
      ['warn', 'Bulwark'],
      ['warn', 'Bulwark'],
    ]);
    const ip = String.raw`(::ffff:)?127\.0\.0\.1`;
    expect(lines[0]!.message).toMatch(new RegExp(`^Admin force-open of circuit breaker "pricing" by ${ip}: closed -> forced-open$`));
    expect(lines[1]!.message).toMatch(new RegExp(`^Admin disable of circuit breaker "pricing" by ${ip}: forced-open -> disabled$`));
    expect(lines[2]!.message).toMatch(new RegExp(`^Admin reset of circuit breaker "pricing" by ${ip}: disabled -> closed$`));
  });

  it('answer 404 for an unknown breaker, and accept a guard class it creates or a guard instance', async () => {
    const { server } = await boot({ admin: { guard: AllowAllGuard } });
    const response = await request(server).post('/health/resilience/nope/reset').expect(404);
    expect(response.body).toMatchObject({ statusCode: 404, message: 'Unknown circuit breaker "nope"' });
    await request(server).post('/health/resilience/search/force-open').expect(200);
    expect((await request(server).get('/health/resilience/search').expect(200)).body.state).toBe('forced-open');
    // Only POST: reading the entry is still the health route.
    await request(server).get('/health/resilience/search/force-open').expect(404);
    await app!.close();

    const instance = { canActivate: (context: ExecutionContext) => context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-ok'] === '1' };
    const again = await boot({ admin: { guard: instance } });
    await request(again.server).post('/health/resilience/search/disable').expect(403);
    await request(again.server).post('/health/resilience/search/disable').set('x-ok', '1').expect(200);
  });

  it('live under a custom health path', async () => {
    const { server } = await boot({ health: { path: 'ops/breakers' }, admin: { guard: AllowAllGuard } });
    await request(server).post('/ops/breakers/pricing/force-open').expect(200);
    await request(server).post('/health/resilience/pricing/reset').expect(404);
    expect((await request(server).get('/ops/breakers/pricing').expect(200)).body.state).toBe('forced-open');
  });

  it('follow forRootAsync: mounted when admin is given to it, and only then', async () => {
    logger = new CapturingLogger();
    const withAdmin = ResilienceModule.forRootAsync({
      imports: [AuthModule],
      inject: [AdminTokens],
      admin: { guard: TokenGuard },
      useFactory: () => ({ circuitBreakers: { pricing: {} }, admin: { guard: TokenGuard } }),
    });
    app = await bootApp(platform, { imports: [AuthModule, withAdmin] }, { logger });
    const server = app.getHttpServer();
    await request(server).post('/health/resilience/pricing/force-open').expect(403);
    await request(server).post('/health/resilience/pricing/force-open').set('x-admin-token', 's3cret').expect(200);
    expect(adminLines()).toHaveLength(1);
    await app.close();

    app = await bootApp(platform, { imports: [ResilienceModule.forRootAsync({ useFactory: () => ({ circuitBreakers: { pricing: {} } }) })] });
    await request(app.getHttpServer()).post('/health/resilience/pricing/force-open').expect(404);
    expect(app.get(CircuitBreakerRegistry).get('pricing')!.state).toBe('closed');
  });

  it('follow forRootAsync: admin from the factory alone fails start-up rather than mount nothing', async () => {
    const module = ResilienceModule.forRootAsync({
      imports: [AuthModule],
      useFactory: () => ({ circuitBreakers: { pricing: {} }, admin: { guard: TokenGuard } }),
    });
    await expect(bootApp(platform, { imports: [AuthModule, module] })).rejects.toThrow(
      'ResilienceModule.forRootAsync: `admin` came from the options factory (an object) but was not given to forRootAsync itself. ' +
        'It decides which routes are mounted, and routes are declared before the factory runs: pass it to ' +
        'ResilienceModule.forRootAsync({ admin: ..., useFactory }) instead.',
    );
  });
});

describe('admin: start-up checks', () => {
  const compile = (options: unknown) =>
    Test.createTestingModule({ imports: [ResilienceModule.forRoot(options as ResilienceModuleOptions)] }).compile();

  it.each([
    ['admin: {}', {}],
    ['admin: { guard: undefined }', { guard: undefined }],
    ['a class that is not a guard', { guard: class NotAGuard {} }],
    ['a string', { guard: 'AdminGuard' }],
  ])('fails without a guard (%s)', async (_label, admin) => {
    await expect(compile({ admin })).rejects.toThrow(
      /^admin\.guard must be a Nest guard class \(implementing CanActivate\) or guard instance: the admin endpoints are never mounted unguarded \(got /,
    );
  });

  it('fails for a non-object, an unknown key, health: false, or live not a boolean', async () => {
    await expect(compile({ admin: true })).rejects.toThrow('admin must be an object naming a guard, e.g. { guard: AdminGuard } (got true)');
    await expect(compile({ admin: { guard: AllowAllGuard, roles: ['ops'] } })).rejects.toThrow('admin.roles is not an admin option (known: guard)');
    await expect(compile({ admin: { guard: AllowAllGuard }, health: false })).rejects.toThrow(
      'admin needs the health controller (its routes live under health.path), but health is false',
    );
    await expect(compile({ live: 'yes' })).rejects.toThrow('live must be a boolean or { guard } (got "yes")');
    await expect(compile({ live: { guard: {} } })).rejects.toThrow('live.guard must be a Nest guard class (implementing CanActivate) or guard instance');
    await expect(compile({ live: { maxStreams: 2 } })).rejects.toThrow('live.maxStreams is not a live view option (known: guard)');
  });

  it('fails from a forRootAsync factory too', async () => {
    const module = ResilienceModule.forRootAsync({ useFactory: () => ({ admin: {} as never }) });
    await expect(Test.createTestingModule({ imports: [module] }).compile()).rejects.toThrow(/^admin\.guard must be a Nest guard class/);
  });

  it('fails naming the guard when it cannot be created', async () => {
    @Injectable()
    class NeedsTokens implements CanActivate {
      constructor(private readonly tokens: AdminTokens) {}
      canActivate(): boolean {
        return this.tokens.isValid('x');
      }
    }
    const moduleRef = await compile({ admin: { guard: NeedsTokens } });
    const server = moduleRef.createNestApplication({ logger: false });
    await expect(server.init()).rejects.toThrow(
      /^admin\.guard NeedsTokens could not be created: register it as a provider of your application .*AdminTokens/s,
    );
    await server.close().catch(() => undefined);
  });
});

describe('admin: the IP behind a trusted proxy', () => {
  it('express: logs the forwarded address with trust proxy', async () => {
    const logger = new CapturingLogger();
    app = await bootApp(
      'express',
      { imports: [ResilienceModule.forRoot({ circuitBreakers: { pricing: {} }, admin: { guard: AllowAllGuard } })] },
      { logger, configure: (nest) => (nest as NestExpressApplication).set('trust proxy', 'loopback') },
    );
    await request(app.getHttpServer()).post('/health/resilience/pricing/force-open').set('x-forwarded-for', '203.0.113.7').expect(200);
    expect(logger.messages.map((entry) => entry.message)).toContain('Admin force-open of circuit breaker "pricing" by 203.0.113.7: closed -> forced-open');
  });

  it('fastify: logs the forwarded address with trustProxy', async () => {
    const logger = new CapturingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [ResilienceModule.forRoot({ circuitBreakers: { pricing: {} }, admin: { guard: AllowAllGuard } })],
    }).compile();
    app = moduleRef.createNestApplication(new FastifyAdapter({ trustProxy: true }), { logger });
    await app.init();
    await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
    await request(app.getHttpServer()).post('/health/resilience/pricing/force-open').set('x-forwarded-for', '203.0.113.7').expect(200);
    expect(logger.messages.map((entry) => entry.message)).toContain('Admin force-open of circuit breaker "pricing" by 203.0.113.7: closed -> forced-open');
  });
});
