import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Injectable, Query, type INestApplication } from '@nestjs/common';
import type { Browser, Page } from 'playwright-core';
import { FakeClock } from '@bulwark/core';
import { Bulkhead, CircuitBreaker, CircuitBreakerRegistry, ResilienceModule } from '@bulwark/nestjs';
import { bootApp, PLATFORMS, type Platform } from './support/app.js';
import { chromiumReady, launchChromium } from './support/chromium.js';
import { baseUrl } from './support/sse-client.js';

/**
 * The dashboard in a real browser: Debian's `chromium` driven by playwright-core (see
 * support/chromium.ts for when it is missing).
 */
const SCREENSHOT_DIR = join(tmpdir(), 'bulwark-dashboard');
const XSS_NAME = '<img src=x onerror="window.__xss=1">';

// What the functions run inside the page use (specs compile without the DOM lib).
interface PageElement {
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
}
declare const document: { querySelectorAll(selector: string): Iterable<PageElement>; getElementById(id: string): PageElement | null };
declare const window: Record<string, unknown>;

@Injectable()
class Pricing {
  @CircuitBreaker('pricing')
  async price(ok: boolean): Promise<number> {
    if (ok) return 42;
    throw new Error('pricing is down');
  }
}

@Controller('pricing')
class PricingController {
  constructor(private readonly pricing: Pricing) {}
  @Get()
  async get(@Query('ok') ok: string): Promise<{ price: number }> {
    return { price: await this.pricing.price(ok === '1') };
  }
}

/** Held by the test: `GET /reports` waits on it while holding the `reports` bulkhead's only slot. */
let releaseReport: () => void = () => undefined;
let reportStarted: () => void = () => undefined;

@Injectable()
class Reports {
  @Bulkhead('reports')
  async build(): Promise<string> {
    await new Promise<void>((resolve) => {
      releaseReport = resolve;
      reportStarted();
    });
    return 'report';
  }

  @Bulkhead({ name: 'recommendations', adaptive: true })
  async recommend(): Promise<string[]> {
    return ['sku-1'];
  }
}

@Controller('reports')
class ReportsController {
  constructor(private readonly reports: Reports) {}
  @Get()
  async get(): Promise<{ report: string }> {
    return { report: await this.reports.build() };
  }
  @Get('recommendations')
  async recommendations(): Promise<string[]> {
    return this.reports.recommend();
  }
}

/** The text of `field` in the limit card whose `attribute` is `name` (a bulkhead, load shedding). */
function limitField(page: Page, attribute: string, name: string, field: string): Promise<string | null> {
  return page.evaluate(
    ([attr, wanted, key]) =>
      [...document.querySelectorAll(`[${attr}]`)].find((card) => card.getAttribute(attr) === wanted)?.querySelector(`[data-field="${key}"]`)?.textContent ?? null,
    [attribute, name, field] as const,
  );
}

function waitForLimitField(page: Page, attribute: string, name: string, field: string, wanted: string): Promise<unknown> {
  return page.waitForFunction(
    ([attr, card, key, value]) =>
      [...document.querySelectorAll(`[${attr}]`)].find((el) => el.getAttribute(attr) === card)?.querySelector(`[data-field="${key}"]`)?.textContent === value,
    [attribute, name, field, wanted] as const,
    { timeout: 10_000 },
  );
}

/** The state of the card of `name`, found by attribute value (never by a selector built from user data). */
function cardState(page: Page, name: string): Promise<string | null> {
  return page.evaluate(
    (breaker) => [...document.querySelectorAll('[data-breaker]')].find((card) => card.getAttribute('data-breaker') === breaker)?.getAttribute('data-state') ?? null,
    name,
  );
}

function waitForCardState(page: Page, name: string, state: string): Promise<unknown> {
  return page.waitForFunction(
    ([breaker, wanted]) =>
      [...document.querySelectorAll('[data-breaker]')].find((card) => card.getAttribute('data-breaker') === breaker)?.getAttribute('data-state') === wanted,
    [name, state] as const,
    { timeout: 10_000 },
  );
}

function cardField(page: Page, name: string, field: string): Promise<string | null> {
  return page.evaluate(
    ([breaker, key]) =>
      [...document.querySelectorAll('[data-breaker]')]
        .find((card) => card.getAttribute('data-breaker') === breaker)
        ?.querySelector(`[data-field="${key}"]`)?.textContent ?? null,
    [name, field] as const,
  );
}

if (chromiumReady('dashboard in a browser')) {
  describe.each(PLATFORMS)('%s: dashboard in a browser', (platform: Platform) => {
    let browser: Browser;
    let app: INestApplication | undefined;

    beforeAll(async () => {
      browser = await launchChromium();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });
    afterEach(async () => {
      await app?.close();
      app = undefined;
    });

    it('turns a card to open when its breaker opens, without a reload, and renders names as text', async () => {
      const clock = new FakeClock(Date.now());
      app = await bootApp(platform, {
        imports: [
          ResilienceModule.forRoot({
            clock,
            live: true,
            circuitBreakers: { pricing: { failureThreshold: 2, recoveryTimeout: 30_000 }, search: { critical: true } },
          }),
        ],
        providers: [Pricing],
        controllers: [PricingController],
      });
      app.get(CircuitBreakerRegistry).create(XSS_NAME);
      await app.listen(0, '127.0.0.1');
      const url = baseUrl(app.getHttpServer());

      const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console: ${message.text()}`);
      });
      let navigations = 0;
      page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) navigations++;
      });
      try {
        await page.goto(`${url}/health/resilience/dashboard`);
        await waitForCardState(page, 'pricing', 'closed');
        await page.waitForFunction(() => document.getElementById('connection')?.getAttribute('data-connection') === 'live');
        expect(await page.textContent('#status')).toBe('up');
        await page.evaluate(() => (window['__sameDocument'] = true));

        // Open the breaker through the application: two failing calls of the decorated method.
        for (let i = 0; i < 2; i++) expect((await fetch(`${url}/pricing?ok=0`)).status).toBe(500);
        expect((await fetch(`${url}/pricing?ok=1`)).status).toBe(503); // rejected by the open breaker

        await waitForCardState(page, 'pricing', 'open');
        // The rejection's own refresh may land after the one the opening triggered.
        await page.waitForFunction(
          () =>
            [...document.querySelectorAll('[data-breaker]')]
              .find((card) => card.getAttribute('data-breaker') === 'pricing')
              ?.querySelector('[data-field="rejected"]')?.textContent === '1',
          undefined,
          { timeout: 10_000 },
        );
        expect(await cardField(page, 'pricing', 'state')).toBe('open');
        expect(await cardField(page, 'pricing', 'failureRate')).toBe('100 %');
        expect(await cardField(page, 'pricing', 'calls')).toBe('0 ok · 2 failed');
        expect(await cardField(page, 'pricing', 'rejected')).toBe('1');
        // Counting down from the 30 s the application reported, on the page's own clock.
        const countdown = (await cardField(page, 'pricing', 'countdown')) ?? '';
        expect(countdown).toMatch(/^\d+ s$/);
        expect(Number.parseInt(countdown, 10)).toBeGreaterThan(0);
        expect(Number.parseInt(countdown, 10)).toBeLessThanOrEqual(30);
        await page.waitForFunction(() => document.getElementById('status')?.textContent === 'degraded');
        expect(await page.locator('#events li[data-event-type="state-change"]').first().textContent()).toMatch(
          /  pricing opened after too many consecutive failures$/,
        );
        expect(await page.locator('#events li[data-event-type="call-rejected"]').first().textContent()).toMatch(
          /  pricing rejected a call \(open, retry in \d+ s\)$/,
        );
        // Which figures are over the recent calls and which since start, in the card's own words.
        expect(
          await page.evaluate(() =>
            [...document.querySelectorAll('[data-breaker]')]
              .find((card) => card.getAttribute('data-breaker') === 'pricing')
              ?.querySelector('dl')?.textContent,
          ),
        ).toMatch(/^Failure rate \(recent calls\)100 %.*Calls since start0 ok · 2 failedRejected since start1/);
        expect(await page.evaluate(() => window['__sameDocument'])).toBe(true);
        expect(navigations).toBe(1);

        // A breaker name is shown as text: no markup from it reaches the DOM.
        expect(await cardField(page, XSS_NAME, 'state')).toBe('closed');
        expect(await page.evaluate((name) => [...document.querySelectorAll('[data-breaker] h2')].some((h) => h.textContent === name), XSS_NAME)).toBe(true);
        expect(await page.locator('#breakers img').count()).toBe(0);
        expect(await page.evaluate(() => window['__xss'])).toBeUndefined();

        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        const screenshot = join(SCREENSHOT_DIR, `dashboard-${platform}.png`);
        await page.screenshot({ path: screenshot, fullPage: true });
        console.log(`dashboard screenshot: ${screenshot}`);

        // Recovery: after the timeout a successful trial call closes it, and the card follows.
        await clock.tickAsync(30_000);
        expect((await fetch(`${url}/pricing?ok=1`)).status).toBe(200);
        await waitForCardState(page, 'pricing', 'closed');
        await page.waitForFunction(() => document.getElementById('status')?.textContent === 'up');
        expect(await cardState(page, 'pricing')).toBe('closed');
        expect(navigations).toBe(1);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    }, 60_000);

    it('shows every bulkhead (static and adaptive, with its learnt limit) and load shedding, and follows a rejection', async () => {
      app = await bootApp(platform, {
        imports: [ResilienceModule.forRoot({ live: true, loadShedding: true, bulkheads: { reports: { maxConcurrent: 1, maxQueue: 0 } } })],
        providers: [Reports],
        controllers: [ReportsController],
      });
      await app.listen(0, '127.0.0.1');
      const url = baseUrl(app.getHttpServer());
      expect((await fetch(`${url}/reports/recommendations`)).status).toBe(200);
      const health = (await (await fetch(`${url}/health/resilience`)).json()) as {
        bulkheads: Record<string, { limit: number; minLimit: number; maxLimit: number; algorithm: string }>;
        loadShedding: { limit: number };
      };
      const adaptive = health.bulkheads['recommendations']!;

      const page = await browser.newPage({ viewport: { width: 1100, height: 720 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      try {
        await page.goto(`${url}/health/resilience/dashboard`);
        await waitForLimitField(page, 'data-bulkhead', 'reports', 'limit', '1');
        await page.waitForFunction(() => document.getElementById('connection')?.getAttribute('data-connection') === 'live');
        expect(await limitField(page, 'data-bulkhead', 'reports', 'kind')).toBe('static');
        expect(await limitField(page, 'data-bulkhead', 'reports', 'queued')).toBe('0 of 0');
        expect(await limitField(page, 'data-bulkhead', 'reports', 'rejected')).toBe('0');
        expect(await limitField(page, 'data-bulkhead', 'recommendations', 'kind')).toBe(`adaptive · ${adaptive.algorithm}`);
        expect(await limitField(page, 'data-bulkhead', 'recommendations', 'limit')).toBe(`${adaptive.limit} (${adaptive.minLimit}–${adaptive.maxLimit})`);
        expect(await limitField(page, 'data-load-shedding', 'Incoming requests', 'limit')).toBe(String(health.loadShedding.limit));
        expect(await limitField(page, 'data-load-shedding', 'Incoming requests', 'shed')).toBe('0');

        // One request holds the only slot; the next is rejected, and its event refreshes the card.
        const started = new Promise<void>((resolve) => (reportStarted = resolve));
        const held = fetch(`${url}/reports`);
        await started;
        expect((await fetch(`${url}/reports`)).status).toBe(503);
        await waitForLimitField(page, 'data-bulkhead', 'reports', 'rejected', '1');
        expect(await limitField(page, 'data-bulkhead', 'reports', 'running')).toBe('1');
        expect(await page.locator('#events li[data-event-type="bulkhead-rejected"]').first().textContent()).toMatch(/reports is full: a call was rejected$/);
        mkdirSync(SCREENSHOT_DIR, { recursive: true });
        await page.screenshot({ path: join(SCREENSHOT_DIR, `dashboard-limits-${platform}.png`), fullPage: true });
        releaseReport();
        expect((await held).status).toBe(200);
        expect(problems).toEqual([]);
      } finally {
        releaseReport();
        await page.close();
      }
    }, 60_000);
  });
}
