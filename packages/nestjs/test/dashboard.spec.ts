import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { CircuitOpenError, FakeClock } from '@bulwark/core';
import { CircuitBreaker, CircuitBreakerRegistry, ResilienceModule, type ResilienceDashboardData } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { baseUrl, SseClient } from './support/sse-client.js';

const START = Date.UTC(2030, 0, 1, 12, 0, 0);
const iso = (ms: number): string => new Date(ms).toISOString();

@Injectable()
class Pricing {
  @CircuitBreaker('pricing')
  async price(ok: boolean): Promise<number> {
    if (ok) return 42;
    throw new Error('down');
  }
}

let app: INestApplication | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const inline = (html: string, tag: 'script' | 'style'): string[] =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]!);
const hash = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

describe.each(PLATFORMS)('%s: GET <health.path>/dashboard', (platform: Platform) => {
  let clock: FakeClock;
  const boot = async (configure?: (app: INestApplication) => void) => {
    clock = new FakeClock(START);
    app = await bootApp(
      platform,
      {
        imports: [ResilienceModule.forRoot({ clock, live: true, circuitBreakers: { pricing: { failureThreshold: 2, recoveryTimeout: 10_000 }, search: { critical: true } } })],
        providers: [Pricing],
      },
      { configure },
    );
    return { server: app.getHttpServer(), pricing: app.get(Pricing) };
  };

  it('is one self-contained HTML page whose inline script and style alone are allowed to run', async () => {
    const { server } = await boot();
    const response = await request(server).get('/health/resilience/dashboard').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    const html = response.text;
    expect(html).toMatch(/^<!doctype html>/);
    // No CDN, no external asset, no build output: everything is inline.
    expect(html).not.toMatch(/https?:\/\/|src=|@import|url\(/);
    expect([...html.matchAll(/href="([^"]*)"/g)].map((match) => match[1])).toEqual(['data:,']); // the favicon: none requested
    const scripts = inline(html, 'script');
    const styles = inline(html, 'style');
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    const csp = String(response.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`script-src ${hash(scripts[0]!)}`);
    expect(csp).toContain(`style-src ${hash(styles[0]!)}`);
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Names are user data: the script builds the DOM from text only.
    expect(scripts[0]).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    expect(scripts[0]).toContain("new EventSource(base + '/events')");
  });

  it('labels windowed figures and lifetime counts apart, and words events as sentences', async () => {
    const { server } = await boot();
    const script = inline((await request(server).get('/health/resilience/dashboard').expect(200)).text, 'script')[0]!;
    for (const label of ['Failure rate (recent calls)', 'Slow-call rate (recent calls)', 'Failures (recent calls)', 'Calls since start', 'Rejected since start']) {
      expect(script).toContain(`'${label}'`);
    }
    expect(script).not.toMatch(/'(Failure rate|Failures|Calls|Rejected)'/);
    expect(script).toContain('function eventSentence(event)');
    expect(script).toContain("clock(event.at) + '  ' + eventSentence(event)");
  });

  it('serves the cards as JSON: state, failure rate, calls and the time until half-open', async () => {
    const { server, pricing } = await boot();
    await expect(pricing.price(true)).resolves.toBe(42);
    await clock.tickAsync(1_000);
    await expect(pricing.price(false)).rejects.toThrow('down');
    await expect(pricing.price(false)).rejects.toThrow('down');
    await clock.tickAsync(4_000);
    await expect(pricing.price(true)).rejects.toBeInstanceOf(CircuitOpenError);

    const response = await request(server).get('/health/resilience/dashboard/data').expect(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const data = response.body as ResilienceDashboardData;
    expect(data).toEqual({
      status: 'degraded',
      at: iso(START + 5_000),
      circuitBreakers: [
        {
          name: 'pricing',
          state: 'open',
          critical: false,
          failureCount: 2,
          failureRate: 66.7,
          slowCallRate: 0,
          openedAt: iso(START + 1_000),
          nextAttemptAt: iso(START + 11_000),
          nextAttemptInMs: 6_000,
          calls: { success: 1, failure: 2, ignored: 0, notPermitted: 1, slow: 0 },
        },
        {
          name: 'search',
          state: 'closed',
          critical: true,
          failureCount: 0,
          failureRate: 0,
          slowCallRate: 0,
          openedAt: null,
          nextAttemptAt: null,
          nextAttemptInMs: null,
          calls: { success: 0, failure: 0, ignored: 0, notPermitted: 0, slow: 0 },
        },
      ],
    });
    // The contract's health body keeps its fixed shape.
    expect(Object.keys((await request(server).get('/health/resilience/pricing').expect(200)).body).sort()).toEqual(
      ['critical', 'failureCount', 'failureRate', 'nextAttemptAt', 'openedAt', 'state'],
    );
  });

  it('reading the data once the recovery timeout is over moves nothing: open, due now; the next call half-opens it (and streams it)', async () => {
    const { server, pricing } = await boot();
    await app!.listen(0, '127.0.0.1');
    await expect(pricing.price(false)).rejects.toThrow();
    await expect(pricing.price(false)).rejects.toThrow();
    const stream = await SseClient.open(`${baseUrl(server)}/health/resilience/events`);
    try {
      await stream.waitFor(1);
      await clock.tickAsync(10_000);
      const data = (await request(server).get('/health/resilience/dashboard/data').expect(200)).body as ResilienceDashboardData;
      expect(data.circuitBreakers[0]).toMatchObject({ name: 'pricing', state: 'open', nextAttemptInMs: 0 });
      await expect(pricing.price(true)).resolves.toBe(42);
      await stream.waitFor(3);
      expect(stream.json().slice(1).map((event) => [event['from'], event['to']])).toEqual([
        ['open', 'half-open'],
        ['half-open', 'closed'],
      ]);
    } finally {
      stream.close();
    }
  });

  it('works under a global prefix (the page finds its data relative to its own URL)', async () => {
    const { server } = await boot((nest) => nest.setGlobalPrefix('api'));
    await request(server).get('/api/health/resilience/dashboard').expect(200);
    await request(server).get('/api/health/resilience/dashboard/data').expect(200);
    app!.get(CircuitBreakerRegistry).forceOpen('search');
    expect((await request(server).get('/api/health/resilience/dashboard/data').expect(200)).body.status).toBe('down');
  });
});
