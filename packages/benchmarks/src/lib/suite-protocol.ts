/** What a suite child receives: its `--key=value` arguments. `quick` is set by `--quick`. */
export interface SuiteParams {
  readonly quick: boolean;
  readonly [key: string]: string | boolean;
}

/** Messages between the runner and a suite child over the IPC channel. */
export type SuiteMessage =
  | { readonly type: 'result'; readonly data: unknown }
  | { readonly type: 'error'; readonly message: string }
  | { readonly type: 'ready'; readonly data: unknown }
  | { readonly type: 'probe'; readonly data?: unknown }
  | { readonly type: 'stop' };

/** A suite module: the child runs `run` and sends what it returns to the parent. */
export interface SuiteModule {
  run(params: SuiteParams): Promise<unknown>;
}

export function numberParam(params: SuiteParams, key: string, fallback: number): number {
  const raw = params[key];
  if (raw === undefined || typeof raw === 'boolean') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${key} must be a number (got ${raw})`);
  return value;
}

export function stringParam(params: SuiteParams, key: string): string {
  const raw = params[key];
  if (typeof raw !== 'string' || raw === '') throw new Error(`--${key} is required`);
  return raw;
}

/** Sends a message to the parent (no-op without an IPC channel, e.g. when run by hand). */
export function sendToParent(message: SuiteMessage): Promise<void> {
  return new Promise((resolve) => {
    if (process.send === undefined) {
      process.stdout.write(`${JSON.stringify(message, null, 2)}\n`);
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Resolves when the parent sends `{ type }`. */
export function waitForParent(type: SuiteMessage['type']): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: SuiteMessage): void => {
      if (message?.type !== type) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
  });
}
