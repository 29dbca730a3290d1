import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeProcess } from './node-process.js';

// Tiny child scripts, written to a temp folder: the real replicas are covered by packages/redis's specs.
const dir = mkdtempSync(join(tmpdir(), 'local-cluster-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, source: string): string {
  const path = join(dir, name);
  writeFileSync(path, source);
  return path;
}

const CHATTY = script(
  'chatty.mjs',
  `
  console.log('a library says hello');
  process.stdout.write('{"event":"tick","n":1}\\n{"event":"re');
  setTimeout(() => process.stdout.write('ady","port":4242,"env":"' + process.env.GREETING + '"}\\n'), 5);
  console.error('to stderr');
  setInterval(() => {}, 1000);
  `,
);

describe('NodeProcess', () => {
  it('parses JSON lines across chunks, passes the environment, and keeps the rest as its log', async () => {
    const lines: Record<string, unknown>[] = [];
    const child = new NodeProcess({ entry: CHATTY, env: { GREETING: 'hi' }, onLine: (line) => lines.push({ ...line }) });

    const ready = await child.ready(5_000);

    expect(ready).toEqual({ event: 'ready', port: 4242, env: 'hi' });
    expect(lines).toEqual([{ event: 'tick', n: 1 }, ready]);
    expect(await child.ready(1)).toBe(ready); // already ready: at once
    await child.stop();
    expect(child.exited).toBe(true);
    expect(child.log).toContain('a library says hello\n');
    expect(child.log).toContain('to stderr\n');
    expect(child.log).not.toContain('"event"');
    await child.stop(); // twice: no-op
  });

  it('rejects when the child exits before its ready line', async () => {
    const child = new NodeProcess({ entry: script('dies.mjs', `console.error('boom'); process.exit(3);`) });

    await expect(child.ready(5_000)).rejects.toThrow('exited before it was ready');
    expect(child.exited).toBe(true);
    expect(child.log).toBe('boom\n');
  });

  it('stops the child and rejects when the ready line does not come in time', async () => {
    const child = new NodeProcess({ entry: script('silent.mjs', `setInterval(() => {}, 1000);`) });

    await expect(child.ready(50, 'r1 ready')).rejects.toThrow('timed out after 50 ms waiting for r1 ready');
    expect(child.exited).toBe(true);
  });

  it('SIGKILLs a child that ignores SIGTERM once the grace period is over', async () => {
    const stubborn = script('stubborn.mjs', `process.on('SIGTERM', () => {}); console.log('{"event":"ready"}'); setInterval(() => {}, 1000);`);
    const child = new NodeProcess({ entry: stubborn, stopGraceMs: 100 });
    await child.ready(5_000);

    const started = Date.now();
    await child.stop();

    expect(child.exited).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
  });

  it('takes a custom ready line', async () => {
    const child = new NodeProcess<{ up?: boolean }>({ entry: script('custom.mjs', `console.log('{"up":false}'); console.log('{"up":true}'); setInterval(() => {}, 1000);`), isReady: (line) => line.up === true });

    expect(await child.ready(5_000)).toEqual({ up: true });
    child.killNow();
    await child.stop();
    expect(child.exited).toBe(true);
  });
});
