import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromiumReady, launchChromium } from '../../packages/nestjs/test/support/chromium.js';

/**
 * The documentation site as a reader gets it: the pages `npm run docs` built (VitePress, with the
 * TypeDoc API reference), served from disk by a tiny static server and opened in Debian's
 * `chromium` through playwright-core, offline: every request to anything but that server is
 * blocked, and counted. `npm test` builds the site before the specs; run `npm run docs` before
 * `npm run test:unit` alone. Without chromium the spec is skipped with a warning (it fails under CI).
 */
const SITE = fileURLToPath(new URL('../.vitepress/dist/', import.meta.url));
// Generous bounds for a busy machine (the spec runs beside every other one): each step waits for what
// it needs, so these only bound a failure.
const STEP_TIMEOUT_MS = 30_000;
const TEST_TIMEOUT_MS = 60_000;
const SCREENSHOT_DIR = join(tmpdir(), 'bulwark-docs-site');

// What the functions run inside the page use (specs compile without the DOM lib).
declare const document: { title: string; querySelector(selector: string): { textContent: string | null } | null };

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serves the built site: `/x/` is `x/index.html`, `/x` is `x.html` if it exists (VitePress' URLs). */
function serveSite(root: string): Promise<Server> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://site').pathname);
    const candidates = path.endsWith('/') ? [`${path}index.html`] : [path, `${path}.html`, `${path}/index.html`];
    for (const candidate of candidates) {
      const file = normalize(join(root, candidate));
      if (!file.startsWith(root.endsWith(sep) ? root : root + sep)) break;
      if (existsSync(file) && statSync(file).isFile()) {
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
        response.end(readFileSync(file));
        return;
      }
    }
    response.writeHead(404, { 'content-type': CONTENT_TYPES['.html']! });
    response.end(existsSync(join(root, '404.html')) ? readFileSync(join(root, '404.html')) : 'not found');
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}

const siteBuilt = existsSync(join(SITE, 'index.html'));

if (!siteBuilt) {
  describe('the documentation site', () => {
    it('is built', () => {
      throw new Error(`${resolve(SITE)} has no index.html: build the site first with \`npm run docs\` (npm test does it before the specs)`);
    });
  });
} else if (chromiumReady('the documentation site in a browser, offline')) {
  describe('the documentation site in a browser, offline', () => {
    let server: Server;
    let base: string;
    let browser: Browser;
    let context: BrowserContext;
    const blocked: string[] = [];
    const problems: string[] = [];

    beforeAll(async () => {
      server = await serveSite(resolve(SITE));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await launchChromium();
      context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
      context.setDefaultTimeout(STEP_TIMEOUT_MS);
      context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
      // Offline: the local server answers, everything else is refused (and remembered).
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${base}/`) || url === base) return route.continue();
        blocked.push(url);
        return route.abort('internetdisconnected');
      });
    }, TEST_TIMEOUT_MS);

    afterAll(async () => {
      await browser?.close();
      await new Promise((done) => server?.close(done));
    });

    async function open(path: string): Promise<Page> {
      const page = await context.newPage();
      page.on('pageerror', (error) => problems.push(`${path}: page error: ${error.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`${path}: console: ${message.text()}`);
      });
      const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      // The page is hydrated once the client-side app has taken over the server-rendered HTML.
      await page.waitForSelector('#app .VPContent');
      return page;
    }

    /** The page's title (its h1) once it reads `expected`: client-side navigation changes the URL first, then the content. */
    async function heading(page: Page, expected: string | RegExp): Promise<string> {
      const h1 = page.locator('.vp-doc h1', { hasText: expected });
      await h1.waitFor();
      // VitePress ends each heading with a zero-width-space anchor link.
      return (await h1.textContent())!.replace(/\u200b/g, '').trim();
    }

    it('renders the home page', async () => {
      const page = await open('/');
      expect(await page.textContent('.VPHero .name')).toContain('Bulwark');
      expect(await page.textContent('.VPHero .text')).toContain('Resilience for NestJS');
      await page.click('.VPHero a:has-text("Get started")');
      await page.waitForURL(/\/getting-started(\.html)?$/);
      expect(await heading(page, 'Getting started')).toBe('Getting started');
      await page.close();
    }, TEST_TIMEOUT_MS);

    it('renders a guide with its sidebar and highlighted code', async () => {
      const page = await open('/circuit-breaker.html');
      expect(await heading(page, 'Circuit breaker')).toBe('Circuit breaker');
      expect(await page.locator('.VPSidebar a:has-text("Per-key breakers")').count()).toBe(1);
      expect(await page.locator('.vp-doc div[class*="language-ts"] pre code').count()).toBeGreaterThan(3);
      expect(await page.textContent('.vp-doc')).toContain('failureThreshold');
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const screenshot = join(SCREENSHOT_DIR, 'circuit-breaker.png');
      await page.screenshot({ path: screenshot });
      console.log(`docs site screenshot: ${screenshot}`);
      await page.close();
    }, TEST_TIMEOUT_MS);

    it('renders the API reference generated from the TSDoc', async () => {
      const page = await open('/api/');
      for (const entry of ['@bulwark/core', '@bulwark/core/rxjs', '@bulwark/nestjs', '@bulwark/redis', '@bulwark/http', '@bulwark/http/axios', '@bulwark/http/nestjs']) {
        expect(await page.locator(`.vp-doc a:text-is("${entry}")`).count()).toBe(1);
      }
      await page.click('.vp-doc a:text-is("@bulwark/core")');
      await page.waitForURL(/\/api\/@bulwark\/core\/(index\.html)?$/);
      await heading(page, '@bulwark/core');
      await page.click('.vp-doc a:text-is("CircuitBreakerPolicy")');
      await page.waitForURL(/CircuitBreakerPolicy/);
      expect(await heading(page, 'CircuitBreakerPolicy')).toContain('CircuitBreakerPolicy');
      expect(await page.textContent('.vp-doc')).toContain('execute');
      await page.close();
    }, TEST_TIMEOUT_MS);

    it('finds a term with the local search and navigates to it', async () => {
      const page = await open('/');
      await page.click('.VPNavBarSearch button');
      await page.fill('#localsearch-input', 'staleIfError');
      const first = page.locator('#localsearch-list .result').first();
      await first.waitFor();
      const titles = await page.locator('#localsearch-list .result .titles').allTextContents();
      expect(titles.some((title) => /Fallback/.test(title))).toBe(true);
      await page.locator('#localsearch-list .result', { hasText: 'Fallback' }).first().click();
      await page.waitForURL(/\/fallback(\.html)?(#.*)?$/);
      expect(await heading(page, 'Fallback')).toBe('Fallback');
      expect(await page.evaluate(() => document.title)).toContain('Fallback');
      await page.close();
    }, TEST_TIMEOUT_MS);

    it('needed nothing but the local server, and the pages logged no error', () => {
      expect(blocked).toEqual([]);
      expect(problems).toEqual([]);
    });
  });
}
