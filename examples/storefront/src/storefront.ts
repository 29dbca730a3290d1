import 'reflect-metadata';
import type { CircuitBreakerStateChange } from '@bulwark/core';
import { CircuitBreakerRegistry } from '@bulwark/nestjs';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { createStorefrontApp } from './app/storefront.module.js';
import type { StorefrontTimings } from './app/storefront.options.js';
import { startDownstreams, type Downstreams } from './downstreams/downstreams.js';

export interface StartStorefrontOptions {
  /** Storefront port; 0 for a free one. Default 3000. */
  port?: number;
  /** Interface the storefront and the downstreams listen on. Default loopback. */
  host?: string;
  timings?: Partial<StorefrontTimings>;
  logger?: LoggerService | LogLevel[] | false;
  onBreakerStateChange?: (change: CircuitBreakerStateChange) => void;
}

/** A running storefront and the downstreams it started. */
export interface RunningStorefront {
  readonly app: INestApplication;
  /** Base URL of the storefront, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  readonly downstreams: Downstreams;
  readonly breakers: CircuitBreakerRegistry;
  /** Stops the storefront, then the downstreams. Safe to call twice. */
  close(): Promise<void>;
}

/** Starts the downstreams, then the storefront wired to them. */
export async function startStorefront(options: StartStorefrontOptions = {}): Promise<RunningStorefront> {
  const host = options.host ?? '127.0.0.1';
  const downstreams = await startDownstreams(host);
  let app: INestApplication | undefined;
  try {
    app = await createStorefrontApp({
      downstreams: downstreams.urls(),
      ...(options.timings === undefined ? {} : { timings: options.timings }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.onBreakerStateChange === undefined ? {} : { onBreakerStateChange: options.onBreakerStateChange }),
    });
    await app.listen(options.port ?? 3000, host);
  } catch (error) {
    await app?.close().catch(() => undefined);
    await downstreams.stop();
    throw error;
  }
  const running = app;
  const address = running.getHttpServer().address() as { port: number };
  let closing: Promise<void> | undefined;
  return {
    app: running,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    downstreams,
    breakers: running.get(CircuitBreakerRegistry),
    close: () =>
      (closing ??= (async () => {
        try {
          await running.close();
        } finally {
          await downstreams.stop();
        }
      })()),
  };
}
