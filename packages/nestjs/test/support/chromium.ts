import { existsSync } from 'node:fs';
import { describe, it } from '@jest/globals';
import type { Browser } from 'playwright-core';

/**
 * The browser specs (the dashboard's, the docs site's) drive Debian's `chromium` through
 * playwright-core: no browser download. CI installs it (.ci/run); elsewhere the specs are skipped
 * with a warning when it is missing.
 */
export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/**
 * Whether chromium is there for the specs named `name`. When it is not, a stand-in takes their
 * place: under CI a spec that fails saying so, elsewhere a skipped one and a warning.
 */
export function chromiumReady(name: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  if (process.env['CI']) {
    describe(name, () => {
      it('needs chromium', () => {
        throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium) before the tests`);
      });
    });
  } else {
    console.warn(`"${name}" skipped: ${CHROMIUM} is missing (apt-get install -y chromium). CI runs it.`);
    describe.skip(name, () => {
      it('needs chromium', () => undefined);
    });
  }
  return false;
}
