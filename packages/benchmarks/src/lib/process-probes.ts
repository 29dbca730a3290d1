const collectGarbage: () => void = (globalThis as { gc?: () => void }).gc ?? (() => {});

export const hasGc = (globalThis as { gc?: unknown }).gc !== undefined;

/** Lets pending callbacks run, then collects garbage until the heap stops shrinking much. */
export async function settleHeap(): Promise<number> {
  let previous = Infinity;
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    collectGarbage();
    const used = process.memoryUsage().heapUsed;
    if (previous - used < 1024) return used;
    previous = used;
  }
  return process.memoryUsage().heapUsed;
}

/** Live `setTimeout`/`setInterval` handles (Node reports both as 'Timeout'), ref'd or not. */
export function liveTimers(): number {
  let count = 0;
  for (const resource of process.getActiveResourcesInfo()) if (resource === 'Timeout') count++;
  return count;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
