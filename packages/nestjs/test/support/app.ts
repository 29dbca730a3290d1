import 'reflect-metadata';
import type { INestApplication, LoggerService, ModuleMetadata } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

/** The HTTP platforms every HTTP-facing spec runs on. */
export type Platform = 'express' | 'fastify';
export const PLATFORMS: readonly Platform[] = ['express', 'fastify'];

export interface BootOptions {
  /** Runs before `init()` (global filters, pipes, loggers). */
  configure?: (app: INestApplication) => void;
  /** Nest's logger; silent by default so expected errors do not clutter the output. */
  logger?: LoggerService | false;
}

/**
 * Compiles `metadata` into a testing module and boots an HTTP application on `platform`.
 * Fastify needs its instance to be `ready()` before supertest can call it.
 */
export async function bootApp(platform: Platform, metadata: ModuleMetadata, options: BootOptions = {}): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule(metadata).setLogger(silentLogger).compile();
  const adapter = platform === 'fastify' ? new FastifyAdapter() : new ExpressAdapter();
  const app = moduleRef.createNestApplication(adapter, { logger: options.logger ?? false });
  try {
    options.configure?.(app);
    await app.init();
    if (platform === 'fastify') await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  } catch (error) {
    // A failed start-up still created an application: close it before reporting the failure.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** A logger that keeps what it is told, by level. */
export class CapturingLogger implements LoggerService {
  readonly messages: { level: string; message: string; context?: string }[] = [];
  log(message: unknown, context?: string): void {
    this.push('log', message, context);
  }
  error(message: unknown, _trace?: string, context?: string): void {
    this.push('error', message, context);
  }
  warn(message: unknown, context?: string): void {
    this.push('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.push('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.push('verbose', message, context);
  }
  warnings(): string[] {
    return this.messages.filter((entry) => entry.level === 'warn').map((entry) => entry.message);
  }
  private push(level: string, message: unknown, context: string | undefined): void {
    this.messages.push({ level, message: String(message), context });
  }
}

const silentLogger: LoggerService = {
  log() {},
  error() {},
  warn() {},
  debug() {},
  verbose() {},
};
