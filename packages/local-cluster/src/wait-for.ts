import { sleep } from './sleep.js';

/** Polls `condition` every `pollMs` until it holds; throws naming `what` after `limitMs`. */
export async function waitFor(condition: () => boolean, what: string, limitMs: number, pollMs = 5): Promise<void> {
  const until = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${limitMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}
