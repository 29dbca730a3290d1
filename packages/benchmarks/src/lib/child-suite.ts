import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SuiteMessage } from './suite-protocol.js';

const RUNNER = fileURLToPath(new URL('../suite-runner.js', import.meta.url));

export interface ChildOptions {
  /** Start the child with `--expose-gc` (default true). */
  readonly gc?: boolean;
  /** More Node flags (`--cpu-prof`, ...). */
  readonly nodeArgs?: readonly string[];
  /** The Node binary to run the suite with (default: the running one, `process.execPath`). */
  readonly nodeBinary?: string;
  /** Kill the child and fail after this long (default 5 minutes). */
  readonly timeoutMs?: number;
}

/**
 * One suite in its own Node process. Its stdout and stderr go to our stderr (stdout is kept for
 * the table); its result comes back over IPC. A non-zero exit, a missing result or a timeout
 * rejects `result` with the child's error and the tail of its stderr.
 */
export class SuiteChild {
  readonly result: Promise<unknown>;
  private readonly child: ChildProcess;
  private readyValue: Promise<unknown>;
  private probeWaiters: ((data: unknown) => void)[] = [];

  private constructor(readonly label: string, suite: string, args: readonly string[], options: ChildOptions) {
    const flags = [...(options.gc === false ? [] : ['--expose-gc']), ...(options.nodeArgs ?? [])];
    this.child = spawn(options.nodeBinary ?? process.execPath, [...flags, RUNNER, suite, ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let stderrTail = '';
    this.child.stdout!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString()).slice(-4_000);
    });
    let onReady: (data: unknown) => void = () => undefined;
    this.readyValue = new Promise((resolve) => (onReady = resolve));
    this.result = new Promise((resolve, reject) => {
      let data: unknown;
      let received = false;
      let failure: string | undefined;
      const timer = setTimeout(() => {
        failure = `timed out after ${options.timeoutMs ?? 300_000} ms`;
        this.child.kill('SIGKILL');
      }, options.timeoutMs ?? 300_000);
      this.child.on('message', (message: SuiteMessage) => {
        if (message.type === 'ready') onReady(message.data);
        else if (message.type === 'probe') this.probeWaiters.shift()?.(message.data);
        else if (message.type === 'result') {
          data = message.data;
          received = true;
        } else if (message.type === 'error') failure = message.message;
      });
      this.child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code === 0 && received && failure === undefined) {
          resolve(data);
          return;
        }
        const why = failure ?? (stderrTail.trim() || 'no result');
        reject(new Error(`suite ${label} failed (exit ${code ?? signal}): ${why}`));
      });
    });
    // A failed child must also end a wait for `ready`.
    this.readyValue = Promise.race([this.readyValue, this.result.then(() => Promise.reject(new Error(`suite ${label} ended before it was ready`)))]);
    // Only suites that announce readiness are waited on; the others must not leave an unhandled rejection.
    this.readyValue.catch(() => undefined);
    this.result.catch(() => undefined);
  }

  static start(suite: string, args: readonly string[] = [], options: ChildOptions = {}): SuiteChild {
    return new SuiteChild([suite, ...args].join(' '), suite, args, options);
  }

  /** What the child sent with `{ type: 'ready' }`. */
  ready<T>(): Promise<T> {
    return this.readyValue as Promise<T>;
  }

  /** Asks a suite that answers probes (the HTTP server) for a measurement. */
  probe<T>(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.probeWaiters.push(resolve as (data: unknown) => void);
      this.send({ type: 'probe' });
      this.result.then(() => reject(new Error(`suite ${this.label} ended before answering a probe`)), reject);
    });
  }

  /** Sends a message if the child is still connected (a crashed child reports through `result`). */
  send(message: SuiteMessage): void {
    if (this.child.connected) this.child.send(message);
  }
}

export function runSuite<T>(suite: string, args: readonly string[] = [], options: ChildOptions = {}): Promise<T> {
  return SuiteChild.start(suite, args, options).result as Promise<T>;
}
