import type { CircuitBreakerStateChange } from '@bulwark/core';
import { DEPENDENCIES } from '../app/storefront.options.js';
import type { HttpShowcase, Showing } from './http-showcase.js';
import type { OutageReport, ScenarioReporter, ScenarioSummary } from './outage-scenario.js';
import { ENDPOINT_OF, type Outcome, type RequestRecord, type TickRecord } from './traffic.js';

const CELL = 20;
const STATE = 10;

type Entry = { at: number; order: number; text: string; row?: TickRecord };

/**
 * Prints the timeline in time order: one row per round of traffic, at the time it was sent, with
 * each request's outcome and latency and the breaker states the round met; chaos, health checks
 * and breaker transitions between the rows. A round is printed once it has answered, so the
 * output lags by the slowest request in flight (a 3 s timeout, say). Consecutive rows alike
 * (same outcomes, same latency class, same states) are folded into "... n more rounds alike".
 */
export class ConsoleReporter implements ScenarioReporter {
  private readonly started = new Map<number, number>();
  private pending: Entry[] = [];
  private sequence = 0;
  private lastSignature: string | undefined;
  private folded = 0;

  constructor(private readonly write: (line: string) => void = (line) => console.log(line)) {}

  header(): void {
    this.write(
      `  ${'time'.padEnd(9)}${'GET /products/:id'.padEnd(CELL)}${'GET /search'.padEnd(CELL)}${'GET /dashboard'.padEnd(CELL)}` +
        `${'breakers: pricing'.padEnd(STATE + 8)}${'ranking'.padEnd(STATE)}metrics`,
    );
  }

  event(at: number, text: string): void {
    this.enqueue({ at, order: this.sequence++, text: `  ${time(at)}>> ${text}` });
  }

  transition(at: number, change: CircuitBreakerStateChange): void {
    this.enqueue({ at, order: this.sequence++, text: `  ${time(at)}** breaker ${change.name}: ${change.from} -> ${change.to} (${change.reason ?? '?'})` });
  }

  roundStarted(tick: number, at: number): void {
    this.started.set(tick, at);
  }

  tick(tick: TickRecord): void {
    this.started.delete(tick.tick);
    this.enqueue({ at: tick.startedAt, order: this.sequence++, text: '', row: tick });
  }

  /** Prints everything still pending (call once the scenario is over). */
  flush(): void {
    this.drain(Infinity);
    this.flushFolded();
  }

  private enqueue(entry: Entry): void {
    this.pending.push(entry);
    // Nothing sent after the oldest round still in flight can be printed before it.
    let oldest = Infinity;
    for (const at of this.started.values()) oldest = Math.min(oldest, at);
    this.drain(oldest);
  }

  private drain(before: number): void {
    const ready = this.pending.filter((entry) => entry.at < before);
    if (ready.length === 0) return;
    this.pending = this.pending.filter((entry) => !ready.includes(entry));
    ready.sort((a, b) => a.at - b.at || a.order - b.order);
    for (const entry of ready) {
      if (entry.row === undefined) this.note(entry.text);
      else this.row(entry.row);
    }
  }

  private row(tick: TickRecord): void {
    const signature = [
      ...tick.requests.map((request) => `${request.outcome}:${latencyClass(request.latencyMs)}`),
      ...DEPENDENCIES.map((name) => tick.states[name]),
    ].join('|');
    if (signature === this.lastSignature) {
      this.folded++;
      return;
    }
    this.flushFolded();
    const cells = tick.requests.map((request) => cell(request)).join('');
    const states = `${' '.repeat(8)}${DEPENDENCIES.map((name) => tick.states[name].padEnd(STATE)).join('')}`.trimEnd();
    this.write(`  ${time(tick.startedAt)}${cells}${states}`);
    this.lastSignature = signature;
  }

  /** An event line; the row after it is always shown, even if it looks like the one before. */
  private note(text: string): void {
    this.flushFolded();
    this.write(text);
    this.lastSignature = undefined;
  }

  private flushFolded(): void {
    if (this.folded === 0) return;
    this.write(`  ${' '.repeat(9)}... ${this.folded} more round${this.folded === 1 ? '' : 's'} alike`);
    this.folded = 0;
  }
}

/** The summary block printed at the end of the demo. */
export function formatSummary(summary: ScenarioSummary): string {
  const lines: string[] = [];
  const degradedBy = [
    `${count(summary, 'products', 'cached')} cached prices`,
    `${count(summary, 'search', 'fallback')} text-match searches`,
    `${count(summary, 'dashboard', 'stale')} stale dashboards`,
  ];
  const unavailable = count(summary, 'products', 'unavailable') + count(summary, 'dashboard', 'unavailable');
  if (unavailable > 0) degradedBy.push(`${unavailable} without a price or figures`);
  lines.push(`Summary (${seconds(summary.durationMs)})`);
  lines.push(`  requests           ${pad(summary.requests)}`);
  lines.push(`  served             ${pad(summary.served)}   HTTP 200 with a complete body`);
  lines.push(`  served degraded    ${pad(summary.degraded)}   ${degradedBy.join(', ')}`);
  lines.push(`  failed             ${pad(summary.failed)}   goal: zero`);
  for (const failure of summary.failures) {
    lines.push(`      ${time(failure.startedAt)}${failure.path} -> ${failure.detail}`);
  }
  for (const outage of summary.outages) lines.push('', ...formatOutage(outage));
  lines.push('', `  /health/resilience at the end: ${summary.finalHealth.httpStatus} ${summary.finalHealth.status}`);
  lines.push(
    '',
    summary.passed
      ? '  PASS: zero failed requests; every breaker opened, spared its dead dependency and closed again.'
      : '  FAIL: see above (failed requests, a breaker that did not open or close, or health not "up").',
  );
  return lines.join('\n');
}

function formatOutage(outage: OutageReport): string[] {
  const endpoint = ENDPOINT_OF[outage.dependency];
  const path = states(outage);
  const lines = [`  ${outage.dependency}: ${outage.story}, for ${seconds(outage.outageMs)}`];
  lines.push(
    outage.opened
      ? `    breaker opened ${seconds(outage.openedAfterMs!)} in; /health/resilience meanwhile: ` +
          `${outage.healthWhileOpen?.httpStatus ?? '?'} ${outage.healthWhileOpen?.status ?? '?'}`
      : `    breaker did NOT open`,
  );
  lines.push(
    outage.recovered
      ? `    breaker closed ${seconds(outage.recoveredAfterMs!)} after the heal: ${path}`
      : `    breaker did NOT close again: ${path}`,
  );
  lines.push(`    calls that reached ${outage.dependency} while broken: ${outage.callsReached}; calls spared by the open breaker: ${outage.callsSpared}`);
  lines.push(`    GET /${endpoint} meanwhile: ${outage.requests} requests, ${outage.degraded} served degraded, ${outage.failed} failed`);
  return lines;
}

function states(outage: OutageReport): string {
  if (outage.transitions.length === 0) return '(no transition)';
  return [outage.transitions[0]!.from, ...outage.transitions.map((transition) => transition.to)].join(' -> ');
}

function cell(request: RequestRecord): string {
  const outcome = request.outcome === 'failed' ? `FAILED ${request.status || ''}`.trim() : request.outcome;
  return `${outcome.padEnd(11)}${`${request.latencyMs} ms`.padStart(8)}`.padEnd(CELL);
}

function count(summary: ScenarioSummary, endpoint: keyof ScenarioSummary['outcomes'], outcome: Outcome): number {
  return summary.outcomes[endpoint][outcome] ?? 0;
}

/** Latency class for folding rows: under 100 ms, under 1 s, 1 s and more. */
function latencyClass(ms: number): number {
  return ms < 100 ? 0 : ms < 1_000 ? 1 : 2;
}

function time(ms: number): string {
  return `+${(ms / 1_000).toFixed(2)}s`.padEnd(9);
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(1)} s`;
}

function pad(value: number): string {
  return String(value).padStart(5);
}

/** The HTTP clients' block printed after the summary: each behaviour, its evidence, and whether it showed. */
export function formatShowcase(showcase: HttpShowcase): string {
  const lines = ['HTTP clients (@bulwark/http), one request at a time'];
  const sections: [string, Showing][] = [
    ['(a) a retry honouring Retry-After', showcase.retryAfter],
    ['(b) the deadline passed from the storefront to pricing', showcase.deadline],
    ['(c) a hedged read from ranking', showcase.hedgedRead],
  ];
  for (const [title, showing] of sections) {
    lines.push(`  ${showing.passed ? 'PASS' : 'FAIL'} ${title}`);
    for (const line of showing.evidence) lines.push(`       ${line}`);
  }
  lines.push(
    '',
    showcase.passed
      ? '  PASS: the server set the retry delay, the downstream got the caller\'s budget, and the hedge won over the slow request.'
      : '  FAIL: see above.',
  );
  return lines.join('\n');
}
