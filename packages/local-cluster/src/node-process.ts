import { spawn, type ChildProcess } from 'node:child_process';
import { killOnExit } from './kill-on-exit.js';
import { STOP_GRACE_MS, hasExited, terminate } from './terminate.js';

/** A line of the child's stdout that is a JSON object. */
export type JsonLine = Readonly<Record<string, unknown>>;

/** `L`: the shape of the child's JSON lines, as its protocol promises (not checked). */
export interface NodeProcessOptions<L extends object = JsonLine> {
  /** The script this Node (`process.execPath`) runs. */
  readonly entry: string;
  /** Set on top of this process's environment (`''` clears a variable, e.g. `NODE_OPTIONS`). */
  readonly env?: Readonly<Record<string, string>>;
  /** Called with every stdout line that is a JSON object, in order; other lines go to `log`. */
  readonly onLine?: (line: L) => void;
  /** The line that says the child is ready (default: `{"event":"ready",...}`). */
  readonly isReady?: (line: L) => boolean;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 2000 ms. */
  readonly stopGraceMs?: number;
}

const LOG_LIMIT = 4_000;

const isReadyEvent = (line: object): boolean => (line as JsonLine)['event'] === 'ready';

/**
 * A Node script in a child process that speaks JSON lines on stdout. It is SIGKILLed when this process
 * exits, if it is still running then.
 */
export class NodeProcess<L extends object = JsonLine> {
  private readonly child: ChildProcess;
  private readonly stopGraceMs: number;
  private readonly isReady: (line: L) => boolean;
  private readonly onLine: ((line: L) => void) | undefined;
  private readyLine: L | undefined;
  /** Exited with its stdout and stderr read to the end (or never spawned). */
  private done = false;
  private readonly readyWaiters = new Set<() => void>();
  private output = '';
  private pending = '';

  /** Spawns the child at once; `ready()` waits for its ready line. */
  constructor(options: NodeProcessOptions<L>) {
    this.stopGraceMs = options.stopGraceMs ?? STOP_GRACE_MS;
    this.isReady = options.isReady ?? isReadyEvent;
    this.onLine = options.onLine;
    this.child = spawn(process.execPath, [options.entry], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    killOnExit(this.child);
    // `close`, not `exit`: a child that dies at start has its last words read by then.
    this.child.once('close', () => this.finish());
    this.child.on('error', (error) => {
      this.keep(`${error.message}\n`);
      if (this.child.pid === undefined) this.finish();
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => this.stdout(chunk));
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => this.keep(chunk));
  }

  /** Whether the child has exited (or could not be spawned). */
  get exited(): boolean {
    return hasExited(this.child);
  }

  /** What the child wrote besides its JSON lines: stderr and other stdout lines, the last 4000 characters. */
  get log(): string {
    return this.output;
  }

  /**
   * Resolves with the ready line once it has come (at once when it already has). When the child exits
   * first or `timeoutMs` passes, stops it and rejects (`exited before it was ready`, `timed out after
   * <timeoutMs> ms waiting for <what>`).
   */
  async ready(timeoutMs: number, what = 'the ready line'): Promise<L> {
    if (this.readyLine === undefined && !this.done) {
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.readyWaiters.add(wake);
      const timer = setTimeout(wake, timeoutMs);
      await woken;
      clearTimeout(timer);
      this.readyWaiters.delete(wake);
    }
    if (this.readyLine !== undefined) return this.readyLine;
    const reason = this.done ? 'exited before it was ready' : `timed out after ${timeoutMs} ms waiting for ${what}`;
    await this.stop();
    throw new Error(reason);
  }

  /** SIGTERM (the child closes), SIGKILL after the grace period. Safe to call twice. */
  stop(): Promise<void> {
    return terminate(this.child, 'SIGTERM', this.stopGraceMs);
  }

  /** SIGKILL, without waiting (for exit hooks, where no waiting is possible). */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private stdout(chunk: string): void {
    this.pending += chunk;
    let newline: number;
    while ((newline = this.pending.indexOf('\n')) >= 0) {
      const text = this.pending.slice(0, newline);
      this.pending = this.pending.slice(newline + 1);
      this.line(text);
    }
  }

  private line(text: string): void {
    const line = parseObject(text) as L | undefined;
    if (line === undefined) {
      this.keep(`${text}\n`);
      return;
    }
    if (this.readyLine === undefined && this.isReady(line)) {
      this.readyLine = line;
      this.wakeReadyWaiters();
    }
    this.onLine?.(line);
  }

  private finish(): void {
    this.done = true;
    this.wakeReadyWaiters();
  }

  private wakeReadyWaiters(): void {
    for (const wake of this.readyWaiters) wake();
  }

  private keep(text: string): void {
    this.output = (this.output + text).slice(-LOG_LIMIT);
  }
}

/** `text` as a JSON object, else undefined (not one of the child's lines: a library writing to stdout). */
function parseObject(text: string): object | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
