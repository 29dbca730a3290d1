import type { HygieneResult } from '../suites/hygiene.suite.js';
import type { BreakerMemoryResult } from '../suites/memory-breakers.suite.js';
import type { InflightResult } from '../suites/memory-inflight.suite.js';
import type { CallRow, CallsAnalysis, ConditionFigures } from './analysis.js';
import { BARE_LABEL } from './catalog.js';
import { fixed, fixedRange, int, nsRange, ratioRange, signedInt, table } from './format.js';
import type { HttpClientResult } from '../suites/http-client.suite.js';
import type { HttpResult } from './http-summary.js';
import { renderOverloadTables, type OverloadResult } from './overload-summary.js';
import type { MachineInfo } from './machine.js';
import { renderNodeTables, type NodeRun } from './node-summary.js';
import type { IdleSummary, TargetResult } from './targets.js';

export interface ReportInputs {
  readonly machine: MachineInfo;
  readonly command: string;
  readonly quick: boolean;
  readonly durationSeconds: number;
  readonly calls?: CallsAnalysis;
  /** The per-call suite on each Node version (`calls` is one of them). */
  readonly nodes?: readonly NodeRun[];
  readonly hygiene?: HygieneResult;
  readonly breakers?: readonly BreakerMemoryResult[];
  readonly inflight?: readonly InflightResult[];
  readonly idle?: readonly IdleSummary[];
  readonly http?: HttpResult;
  readonly httpClient?: HttpClientResult;
  readonly overload?: OverloadResult;
  readonly targets: readonly TargetResult[];
}

const CALL_HEADER = [
  'case',
  'ns/call',
  'overhead ns, median [p25–p75]',
  '× bare',
  'ns/call, ALS off',
  'overhead ns, ALS off',
  '× bare, ALS off',
  'reference (ns)',
];

function conditionCells(figures: ConditionFigures | undefined, missing: string, withNs: boolean): string[] {
  if (figures === undefined) return withNs ? [missing, '', ''] : [missing, ''];
  const cells = [nsRange(figures.overhead), ratioRange(figures.ratio)];
  return withNs ? [int(figures.ns.median), ...cells] : cells;
}

function callRow(row: CallRow): string[] {
  const label = row.reference ? `${row.label} (reference)` : row.label;
  if (row.unavailable !== undefined) return [label, row.unavailable, '', '', '', '', '', row.anchor ?? ''];
  return [
    label,
    ...conditionCells(row.alsOn, '—', true),
    ...conditionCells(row.alsOff, '— (enters an ALS scope)', true),
    row.anchor ?? '',
  ];
}

function youngGeneration(calls: CallsAnalysis, condition: keyof CallsAnalysis['youngGenerationMiB']): string {
  return `${fixed(calls.youngGenerationMiB[condition], 0)} MiB`;
}

function callTables(calls: CallsAnalysis): string {
  const none = calls.bare['no-bulwark'];
  const off = calls.bare['als-off'];
  const on = calls.bare['als-on'];
  const bareRow = [`${BARE_LABEL} (baseline)`, int(on.ns.median), '—', '1×', int(off.ns.median), '—', '1×', '~60'];
  const noBulwarkRow = [
    `${BARE_LABEL} in an isolate that never loaded Bulwark, a competitor or Nest (young generation ${youngGeneration(calls, 'no-bulwark')}, ALS-off isolate ${youngGeneration(calls, 'als-off')})`,
    '',
    '',
    '',
    int(none.ns.median),
    '',
    '',
    '',
  ];
  const controlRow = [
    'A/A control: bare call in a second isolate without Bulwark vs the first (how far apart this machine puts two identical isolates)',
    '',
    '',
    '',
    '',
    `${signedInt(calls.appTaxControl.ns.median)} [${int(calls.appTaxControl.ns.p25)}–${int(calls.appTaxControl.ns.p75)}]`,
    ratioRange(calls.appTaxControl.ratio, 3),
    '',
  ];
  const appTaxRow = [
    'application tax: bare call with Bulwark loaded and a breaker-only decorated method in use (ALS-off isolate) vs without Bulwark',
    '',
    '',
    '',
    '',
    `${signedInt(calls.appTax.ns.median)} [${int(calls.appTax.ns.p25)}–${int(calls.appTax.ns.p75)}]`,
    ratioRange(calls.appTax.ratio, 3),
    '',
  ];
  const alsOnTaxRow = [
    'AsyncLocalStorage tax: bare call once a scope was entered (one timeout call; ALS-on isolate) vs never (ALS-off isolate)',
    '',
    `${signedInt(calls.alsOnTax.ns.median)} [${int(calls.alsOnTax.ns.p25)}–${int(calls.alsOnTax.ns.p75)}]`,
    ratioRange(calls.alsOnTax.ratio),
    '',
    '',
    '',
    '',
  ];
  const success = calls.rows.filter((one) => one.section === 'success').map(callRow);
  const allIn = calls.decoratedAllIn;
  if (allIn !== undefined) {
    success.push([
      'Bulwark decorated stack, all-in: vs the bare call of the ALS-off isolate',
      '',
      nsRange(allIn.overhead),
      ratioRange(allIn.ratio),
      '',
      '',
      '',
      '',
    ]);
  }
  const fastFail = calls.rows.filter((one) => one.section === 'fast-fail').map(callRow);
  return [
    `### Per call, success path, Node ${calls.node} (${calls.rounds} interleaved rounds; bare batch ${int(on.batch)} calls)`,
    '',
    'Columns without a suffix: isolate with AsyncLocalStorage on (as in any app that made one Bulwark timed call). ' +
      '"ALS off": isolate where nothing ever entered an AsyncLocalStorage scope (competitors at their natural cost; Bulwark loaded, ' +
      'a Nest context with a breaker-only method booted). Two more isolates load nothing but the bare call: the application tax row and its A/A control. ' +
      'Overhead and × bare are computed round by round against the bare batch timed next to the case.',
    '',
    table(CALL_HEADER, [bareRow, noBulwarkRow, appTaxRow, controlRow, alsOnTaxRow, ...success]),
    '',
    '### Open-breaker fast fail (per rejected call; overhead over the bare successful call)',
    '',
    table(CALL_HEADER, fastFail),
  ].join('\n');
}

function hygieneTables(hygiene: HygieneResult): string {
  return [
    `### Per-call hygiene (counted over ${int(hygiene.perCall[0]?.calls ?? 0)} successful calls)`,
    '',
    table(
      ['case', 'setTimeout / call', 'clearTimeout / call', 'setInterval / call', 'AbortController / call', 'AsyncLocalStorage.run / call', 'promises / call'],
      hygiene.perCall.map((one) => [
        one.id,
        fixed(one.setTimeoutPerCall, 4),
        fixed(one.clearTimeoutPerCall, 4),
        fixed(one.setIntervalPerCall, 4),
        fixed(one.abortControllersPerCall, 4),
        fixed(one.asyncLocalStorageRunsPerCall, 4),
        fixed(one.promisesPerCall, 2),
      ]),
    ),
    '',
    table(
      ['fast-fail case', 'stack frames captured per rejection'],
      hygiene.fastFail.map((one) => [one.id, String(one.framesPerRejection)]),
    ),
  ].join('\n');
}

function memoryTables(breakers: readonly BreakerMemoryResult[] | undefined, inflight: readonly InflightResult[] | undefined): string {
  const parts: string[] = [];
  if (breakers !== undefined) {
    parts.push(
      `### Memory: idle breakers`,
      '',
      table(
        ['library', 'breakers', 'heap bytes per breaker', "live timers held (ref'd / incl. unref'd)"],
        breakers.map((one) => [one.lib, int(one.count), int(one.bytesPerBreaker), `${int(one.timersHeld)} / ${int(one.timersHeldInclUnref)}`]),
      ),
      '',
    );
  }
  if (inflight !== undefined) {
    parts.push(
      `### Memory: in-flight timed calls (60 s timeout, pending until released)`,
      '',
      table(
        [
          'through',
          'pending calls',
          'heap bytes added per pending call',
          'bare pending call (bytes)',
          "live timers in the process while pending (ref'd / incl. unref'd)",
          "live timers in the process after settle (ref'd / incl. unref'd)",
          'settle after release (ms)',
        ],
        inflight.map((one) => [
          one.target,
          int(one.count),
          int(one.addedBytesPerCall),
          int(one.baseline.bytesPerCall),
          `${int(one.measured.timersWhilePending)} / ${int(one.measured.timersWhilePendingInclUnref)}`,
          `${int(one.measured.timersAfterSettle)} / ${int(one.measured.timersAfterSettleInclUnref)}`,
          fixed(one.measured.settleMs, 1),
        ]),
      ),
      '',
    );
  }
  return parts.join('\n');
}

function idleTable(idle: readonly IdleSummary[]): string {
  return [
    `### Idle CPU (${int(idle[0]?.windowMs ?? 0)} ms idle window, fresh process each run)`,
    '',
    table(
      ['process', 'runs', 'CPU µs, median [min–max]', "live timers (ref'd / incl. unref'd)"],
      idle.map((one) => [
        one.mode === 'empty' ? 'empty process' : `10,000 ${one.mode} breakers`,
        String(one.runs),
        `${int(one.cpuUs.median)} [${int(one.cpuUs.min)}–${int(one.cpuUs.max)}]`,
        `${int(one.liveTimers)} / ${int(one.liveTimersInclUnref)}`,
      ]),
    ),
  ].join('\n');
}

function httpClientTable(result: HttpClientResult): string {
  const bare = result.rows.find((row) => row.client === 'fetch')!;
  return [
    `### Outbound HTTP (one GET to a local server in its own process; ${result.rounds} rounds of ${result.requestsPerRound} sequential requests, then ${result.concurrency} in flight for ${result.concurrentWindowMs} ms, clients in turn)`,
    '',
    table(['client', 'µs / request, mean', 'p50 µs', 'p99 µs', 'over bare fetch, µs', `req/s, ${result.concurrency} in flight`, '× bare fetch'], result.rows.map((row) => [
      row.client,
      fixed(row.sequentialMeanUs, 1),
      fixed(row.sequentialP50Us, 1),
      fixed(row.sequentialP99Us, 1),
      row === bare ? '' : fixed(row.sequentialMeanUs - bare.sequentialMeanUs, 1),
      int(row.concurrentRps),
      fixed(row.concurrentRps / bare.concurrentRps, 3),
    ])),
  ].join('\n');
}

function httpTable(http: HttpResult): string {
  const side = (name: string, figures: HttpResult['bare']): string[] => [
    name,
    `${int(figures.rps.median)} [${int(figures.rps.p25)}–${int(figures.rps.p75)}]`,
    fixed(figures.p50Ms.median, 2),
    fixed(figures.p99Ms.median, 2),
    fixedRange(figures.serverCpuUsPerRequest, 1),
  ];
  return [
    `### HTTP (Nest 12 Express, autocannon ${http.connections} connections, ${http.rounds} rounds of ${http.runs.length / http.rounds} runs of ${http.durationSeconds} s, order balanced across rounds)`,
    '',
    table(['endpoint', 'req/s, median [p25–p75]', 'p50 ms', 'p99 ms', 'server CPU µs / request'], [
      side('`GET /bare` (undecorated provider method)', http.bare),
      side('`GET /decorated` (full decorated stack)', http.decorated),
      side('`GET /decorated`, same app with Prometheus metrics on', http.decoratedMetrics),
      side('`GET /bare-again` (identical to `/bare`: the A/A control)', http.bareAgain),
      side(`\`GET /bare-x100\` (${http.callsPerAmplifiedRequest} undecorated calls per request)`, http.bareX100),
      side(`\`GET /decorated-x100\` (${http.callsPerAmplifiedRequest} decorated calls per request)`, http.decoratedX100),
      side('`GET /decorated-x100`, metrics on', http.decoratedMetricsX100),
    ]),
    '',
    `decorated / bare, round by round: req/s ${ratioRange(http.rpsRatio, 3)}; server CPU per request ${ratioRange(http.cpuRatio, 3)}. ` +
      `With metrics on: req/s ${ratioRange(http.rpsRatioMetrics, 3)}; server CPU per request ${ratioRange(http.cpuRatioMetrics, 3)}. ` +
      `A/A control, \`/bare-again\` / \`/bare\` (the same code): req/s ${ratioRange(http.rpsRatioControl, 3)}; server CPU per request ` +
      `${ratioRange(http.cpuRatioControl, 3)}: how far apart this machine puts two identical endpoints in one run.`,
    '',
    `One decorated call inside the server, (\`/decorated-x100\` - \`/bare-x100\`) / ${http.callsPerAmplifiedRequest} round by round: ` +
      `${fixedRange(http.decoratedCallCpuUs, 2, ' µs')} of server CPU (metrics on: ${fixedRange(http.decoratedMetricsCallCpuUs, 2, ' µs')}) ` +
      `over an undecorated one, against ${fixed(http.bare.serverCpuUsPerRequest.median, 1)} µs for a whole bare request: one decorated call per request ` +
      `allows ${ratioRange(http.impliedRatio, 3)} of bare requests/s (metrics on: ${ratioRange(http.impliedRatioMetrics, 3)}).`,
  ].join('\n');
}

export function renderReport(inputs: ReportInputs): string {
  const m = inputs.machine;
  const parts = [
    `## Bulwark benchmarks${inputs.quick ? ' (quick smoke run: too few rounds to quote)' : ''}`,
    '',
    `${m.date} · ${m.cpuModel} · ${m.cores} cores · Node ${m.node} (V8 ${m.v8}) · ${m.platform} · load average ${m.loadAverageAtStart} at start${m.loadAverageAtEnd === undefined ? '' : `, ${m.loadAverageAtEnd} at end`}` +
      `${m.gitCommit === null ? '' : ` · commit ${m.gitCommit}`} · \`${inputs.command}\` · ${int(inputs.durationSeconds)} s`,
    '',
  ];
  if (inputs.nodes !== undefined && inputs.nodes.length > 0) parts.push(renderNodeTables(inputs.nodes), '');
  if (inputs.calls !== undefined) parts.push(callTables(inputs.calls), '');
  if (inputs.hygiene !== undefined) parts.push(hygieneTables(inputs.hygiene), '');
  parts.push(memoryTables(inputs.breakers, inputs.inflight));
  if (inputs.idle !== undefined) parts.push(idleTable(inputs.idle), '');
  if (inputs.http !== undefined) parts.push(httpTable(inputs.http), '');
  if (inputs.httpClient !== undefined) parts.push(httpClientTable(inputs.httpClient), '');
  if (inputs.overload !== undefined) parts.push('### Surviving overload', '', renderOverloadTables(inputs.overload), '');
  parts.push(
    '### Targets',
    '',
    table(
      ['target', 'figure', 'verdict'],
      inputs.targets.map((one) => [one.target, one.figure, one.verdict === 'met' ? '**met**' : one.verdict === 'missed' ? '**MISSED**' : one.verdict]),
    ),
    '',
  );
  return parts.join('\n');
}
