import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { DataPointType, MeterProvider, MetricReader, type MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { FakeClock } from '@bulwark/core';
import { CircuitBreakerRegistry, InvalidOptionsError, ResilienceModule, type ResilienceModuleOptions } from '@bulwark/nestjs';
import { CALL_DURATION_SOURCE, type CallDurationSource } from '../src/observability/metrics/call-duration.js';
import { PEER_IMPORTER } from '../src/observability/optional-peer.js';
import { Dependencies } from './support/observed-dependencies.js';

const START = Date.UTC(2030, 0, 1);


const policies: ResilienceModuleOptions = {
  circuitBreakers: { pricing: { failureThreshold: 2 } },
  retries: { pricing: { maxRetries: 1, baseDelay: 10, jitter: 'none' } },
  timeouts: { slow: 50 },
  bulkheads: { reports: { maxConcurrent: 1, maxQueue: 0 } },
};

/** A reader collecting on demand, as an exporter would on its interval. */
class ManualReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

let moduleRef: TestingModule | undefined;
afterEach(async () => {
  await moduleRef?.close();
  moduleRef = undefined;
});

async function boot(options: ResilienceModuleOptions, configure?: (builder: ReturnType<typeof Test.createTestingModule>) => void): Promise<TestingModule> {
  const builder = Test.createTestingModule({ imports: [ResilienceModule.forRoot({ ...policies, ...options })], providers: [Dependencies] });
  configure?.(builder);
  moduleRef = await builder.compile();
  await moduleRef.init();
  return moduleRef;
}

const notInstalled = (specifier: string): Promise<never> =>
  Promise.reject(Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/main.js`), { code: 'ERR_MODULE_NOT_FOUND' }));

describe('OpenTelemetry without an SDK', () => {
  it('is on by default and harmless: the API alone is a no-op', async () => {
    const app = await boot({ clock: new FakeClock(START) });
    const deps = app.get(Dependencies);
    await expect(deps.price(false)).resolves.toBe(42);
    await expect(deps.report(Promise.resolve())).resolves.toBe('report');
  });

  it('stays off without complaint when @opentelemetry/api is not installed, unless asked for', async () => {
    await boot({ clock: new FakeClock(START) }, (builder) => builder.overrideProvider(PEER_IMPORTER).useValue(notInstalled));
    await moduleRef!.close();
    moduleRef = undefined;
    await expect(
      boot({ openTelemetry: true }, (builder) => builder.overrideProvider(PEER_IMPORTER).useValue(notInstalled)),
    ).rejects.toThrow('`openTelemetry` needs @opentelemetry/api, which is not installed: npm install @opentelemetry/api');
  });

  it('with forRootAsync, is decided beside the factory when given there: the factory may repeat it, not change it', async () => {
    const define = (factory: ResilienceModuleOptions['openTelemetry']) =>
      Test.createTestingModule({ imports: [ResilienceModule.forRootAsync({ openTelemetry: false, useFactory: () => ({ openTelemetry: factory }) })] })
        .compile()
        .then(async (compiled) => {
          await compiled.close();
          return undefined;
        }, (reason: unknown) => (reason as Error).message);
    await expect(define(false)).resolves.toBeUndefined();
    await expect(define(undefined)).resolves.toBeUndefined();
    await expect(define(true)).resolves.toBe(
      'ResilienceModule.forRootAsync: `openTelemetry` came from the options factory (true) but was given differently to forRootAsync itself. ' +
        'It decides whether the OpenTelemetry code is wired (and loaded), which is settled before the factory runs: pass it to ' +
        'ResilienceModule.forRootAsync({ openTelemetry: ..., useFactory }) instead.',
    );
  });

  it.each([
    [{ openTelemetry: 'yes' }, 'openTelemetry must be a boolean or an object (got "yes")'],
    [{ openTelemetry: { meterName: '' } }, 'openTelemetry.meterName must be a non-empty string (got "")'],
    [{ openTelemetry: { meter: 'x' } }, 'openTelemetry.meter is not a openTelemetry option (known: meterName) (got "x")'],
  ])('rejects invalid options: %j', async (options, message) => {
    const error = await Test.createTestingModule({ imports: [ResilienceModule.forRoot(options as never)] })
      .compile()
      .then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as Error).message).toBe(message);
  });
});

describe('OpenTelemetry with an SDK registered', () => {
  // A MeterProvider per test: cumulative data points outlive the callbacks that produced them.
  let reader: ManualReader;
  let meterProvider: MeterProvider;
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    context.setGlobalContextManager(contextManager.enable());
    trace.setGlobalTracerProvider(tracerProvider);
  });

  afterAll(async () => {
    trace.disable();
    context.disable();
    await tracerProvider.shutdown();
  });

  beforeEach(() => {
    reader = new ManualReader();
    meterProvider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(meterProvider);
  });

  afterEach(async () => {
    // The application first (the outer afterEach would run after this one), then the provider.
    await moduleRef?.close();
    moduleRef = undefined;
    spans.reset();
    metrics.disable();
    await meterProvider.shutdown();
  });

  /** Every instrument of `scope` collected now, by name. */
  async function collect(scope = '@bulwark/nestjs'): Promise<Map<string, MetricData>> {
    const { resourceMetrics } = await reader.collect();
    const found = new Map<string, MetricData>();
    for (const scopeMetrics of resourceMetrics.scopeMetrics) {
      if (scopeMetrics.scope.name !== scope) continue;
      for (const metric of scopeMetrics.metrics) {
        if (metric.dataPoints.length > 0) found.set(metric.descriptor.name, metric);
      }
    }
    return found;
  }

  /** A metric's points as `{ "k=v,k=v": value }`. */
  function points(metric: MetricData | undefined): Record<string, unknown> {
    if (metric === undefined) return {};
    return Object.fromEntries(
      metric.dataPoints.map((point) => [
        Object.entries(point.attributes)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(','),
        point.value,
      ]),
    );
  }

  it('creates the same instruments on the Meter @bulwark/nestjs, read at collection', async () => {
    const clock = new FakeClock(START);
    const app = await boot({ clock });
    const deps = app.get(Dependencies);
    await deps.price(false);
    const failing = deps.price(true).catch(() => undefined);
    await clock.tickAsync(10);
    await failing;
    await expect(deps.price(false)).rejects.toMatchObject({ name: 'CircuitOpenError' });
    const slow = deps.slow();
    await clock.tickAsync(50);
    await slow;
    let release!: () => void;
    const holding = deps.report(new Promise<void>((resolve) => (release = resolve)));
    await expect(deps.report(Promise.resolve())).rejects.toMatchObject({ name: 'BulkheadFullError' });

    const collected = await collect();
    const kinds = Object.fromEntries(
      [...collected].map(([name, metric]) => [
        name,
        metric.dataPointType === DataPointType.SUM ? `sum(monotonic=${String(metric.isMonotonic)})` : DataPointType[metric.dataPointType],
      ]),
    );
    expect(kinds).toEqual({
      bulwark_circuit_breaker_state: 'GAUGE',
      bulwark_circuit_breaker_calls_total: 'sum(monotonic=true)',
      bulwark_circuit_breaker_failure_rate: 'GAUGE',
      bulwark_circuit_breaker_slow_call_rate: 'GAUGE',
      bulwark_retry_calls_total: 'sum(monotonic=true)',
      bulwark_timeouts_total: 'sum(monotonic=true)',
      bulwark_bulkhead_rejected_total: 'sum(monotonic=true)',
      bulwark_bulkhead_available: 'GAUGE',
      bulwark_bulkhead_limit: 'GAUGE',
      bulwark_bulkhead_in_flight: 'GAUGE',
      bulwark_bulkhead_queued: 'GAUGE',
      // Load shedding is off: its instruments have no points.
      bulwark_fallbacks_total: 'sum(monotonic=true)',
      // The histogram in Prometheus's layout (the API has no asynchronous histogram).
      bulwark_call_duration_seconds_bucket: 'sum(monotonic=true)',
      bulwark_call_duration_seconds_sum: 'sum(monotonic=true)',
      bulwark_call_duration_seconds_count: 'sum(monotonic=true)',
    });
    expect(points(collected.get('bulwark_call_duration_seconds_count'))).toEqual({ 'name=pricing': 3 });
    expect(points(collected.get('bulwark_circuit_breaker_state'))).toEqual({
      'name=pricing,state=closed': 0,
      'name=pricing,state=open': 1,
      'name=pricing,state=half-open': 0,
      'name=pricing,state=forced-open': 0,
      'name=pricing,state=disabled': 0,
    });
    expect(points(collected.get('bulwark_circuit_breaker_calls_total'))).toEqual({
      'name=pricing,outcome=success': 1,
      'name=pricing,outcome=failure': 2,
      'name=pricing,outcome=ignored': 0,
      'name=pricing,outcome=not_permitted': 1,
    });
    expect(points(collected.get('bulwark_circuit_breaker_failure_rate'))).toEqual({ 'name=pricing': 66.7 });
    expect(points(collected.get('bulwark_retry_calls_total'))).toEqual({
      'name=pricing,outcome=success_without_retry': 1,
      'name=pricing,outcome=success_with_retry': 0,
      'name=pricing,outcome=failed_with_retry': 1,
      'name=pricing,outcome=failed_without_retry': 1,
    });
    expect(points(collected.get('bulwark_timeouts_total'))).toMatchObject({ 'name=slow': 1, 'name=database': 0 });
    expect(points(collected.get('bulwark_bulkhead_rejected_total'))).toEqual({ 'name=reports': 1 });
    expect(points(collected.get('bulwark_bulkhead_available'))).toEqual({ 'name=reports': 0 });
    expect(points(collected.get('bulwark_fallbacks_total'))).toEqual({
      'name=Dependencies.slow,reason=circuit_open': 0,
      'name=Dependencies.slow,reason=timeout': 1,
      'name=Dependencies.slow,reason=bulkhead_full': 0,
      'name=Dependencies.slow,reason=error': 0,
      'name=Dependencies.slow,reason=result': 0,
    });

    release();
    await holding;
    app.get(CircuitBreakerRegistry).forceOpen('pricing');
    const later = await collect();
    expect(points(later.get('bulwark_bulkhead_available'))).toEqual({ 'name=reports': 1 });
    expect(points(later.get('bulwark_circuit_breaker_state'))).toMatchObject({ 'name=pricing,state=forced-open': 1, 'name=pricing,state=open': 0 });

    await app.close();
    moduleRef = undefined;
    app.get(CircuitBreakerRegistry).reset('pricing');
    // A closed application's callback is gone: the last values it reported stay as they were.
    expect(points((await collect()).get('bulwark_circuit_breaker_state'))).toMatchObject({ 'name=pricing,state=forced-open': 1 });
  });

  it('a collection reads each breaker once (one snapshot for all its series) and moves none, even one due a trial', async () => {
    const clock = new FakeClock(START);
    const app = await boot({ clock });
    const breakers = app.get(CircuitBreakerRegistry);
    breakers.createFamily('tenants').get('acme');
    const pricing = breakers.get('pricing')!;
    await pricing.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await pricing.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(pricing.state).toBe('open');
    clock.advance(pricing.options.recoveryTimeout);
    const all = [...breakers.list(), ...breakers.keyedBreakers()];
    const snapshots = all.map((breaker) => jest.spyOn(breaker, 'snapshot'));
    const changes = jest.fn();
    pricing.onStateChange(changes);
    const collected = await collect();
    expect(points(collected.get('bulwark_circuit_breaker_state'))).toMatchObject({ 'name=pricing,state=open': 1, 'name=pricing,state=half-open': 0 });
    expect(snapshots.map((spy) => spy.mock.calls.length)).toEqual(all.map(() => 1));
    expect(changes).not.toHaveBeenCalled();
    expect(pricing.state).toBe('open');
  });

  it('exports call durations as cumulative bucket, sum and count counters, and honours meterName', async () => {
    const source: CallDurationSource = {
      durationHistograms: () => [{ name: 'pricing', histogram: { boundsMs: [5, 250], counts: [3, 4, 1], count: 8, sumMs: 1_234.5 } }],
    };
    await boot({ openTelemetry: { meterName: 'shop' } }, (builder) => builder.overrideProvider(CALL_DURATION_SOURCE).useValue(source));
    expect((await collect()).size).toBe(0);
    const collected = await collect('shop');
    expect(points(collected.get('bulwark_call_duration_seconds_bucket'))).toEqual({
      'name=pricing,le=0.005': 3,
      'name=pricing,le=0.25': 7,
      'name=pricing,le=+Inf': 8,
    });
    expect(points(collected.get('bulwark_call_duration_seconds_sum'))).toEqual({ 'name=pricing': 1.2345 });
    expect(points(collected.get('bulwark_call_duration_seconds_count'))).toEqual({ 'name=pricing': 8 });
  });

  it('creates no instrument with openTelemetry: false', async () => {
    await boot({ openTelemetry: false });
    expect((await collect()).size).toBe(0);
  });

  describe('span events on the active span', () => {
    // The system clock: timers then carry the async context of whoever armed them, as in production.
    const options: ResilienceModuleOptions = {
      circuitBreakers: { pricing: { failureThreshold: 2 } },
      retries: { pricing: { maxRetries: 1, baseDelay: 1, jitter: 'none' } },
      timeouts: { slow: 20 },
      bulkheads: { reports: { maxConcurrent: 1, maxQueue: 0 } },
    };

    /** Runs `work` in a span of its own and returns that span's events. */
    async function eventsOf(name: string, work: () => Promise<unknown>): Promise<{ name: string; attributes: Attributes | undefined }[]> {
      const tracer = trace.getTracer('spec');
      await tracer.startActiveSpan(name, async (span) => {
        try {
          await work();
        } finally {
          span.end();
        }
      });
      const finished = spans.getFinishedSpans().find((s) => s.name === name);
      return (finished?.events ?? []).map((event) => ({ name: event.name, attributes: event.attributes }));
    }

    it('records retry attempts, rejections and fallbacks on the caller’s span', async () => {
      const app = await boot(options);
      const deps = app.get(Dependencies);
      expect(await eventsOf('failing', () => deps.price(true).catch(() => undefined))).toEqual([
        {
          name: 'bulwark.retry',
          attributes: { 'bulwark.policy.name': 'pricing', 'bulwark.retry.attempt': 1, 'bulwark.retry.delay_ms': 1, 'error.type': 'Error' },
        },
      ]);
      const rejected = await eventsOf('rejected', () => deps.price(false).catch(() => undefined));
      expect(rejected).toEqual([
        {
          name: 'bulwark.circuit_breaker.rejected',
          attributes: { 'bulwark.policy.name': 'pricing', 'bulwark.circuit_breaker.state': 'open', 'bulwark.circuit_breaker.retry_after_ms': expect.any(Number) },
        },
      ]);
      expect(rejected[0]!.attributes!['bulwark.circuit_breaker.retry_after_ms']).toBeGreaterThan(29_000);
      let release!: () => void;
      const holding = deps.report(new Promise<void>((resolve) => (release = resolve)));
      expect(await eventsOf('full', () => deps.report(Promise.resolve()).catch(() => undefined))).toEqual([
        { name: 'bulwark.bulkhead.rejected', attributes: { 'bulwark.policy.name': 'reports' } },
      ]);
      release();
      await holding;
      expect(await eventsOf('other', () => deps.price(true).catch(() => undefined))).toHaveLength(1); // none leak between spans
    });

    it('records a timeout and the fallback it caused on the span of the call that timed out', async () => {
      const app = await boot(options);
      const deps = app.get(Dependencies);
      expect(await eventsOf('slow', () => deps.slow())).toEqual([
        { name: 'bulwark.timeout', attributes: { 'bulwark.policy.name': 'slow', 'bulwark.timeout.duration_ms': 20 } },
        { name: 'bulwark.fallback', attributes: { 'bulwark.policy.name': 'Dependencies.slow', 'bulwark.fallback.reason': 'timeout', 'bulwark.fallback.source': 'handler' } },
      ]);
    });

    it('puts each overlapping timeout on its own call’s span, not on the span of the call that armed the shared timer', async () => {
      const app = await boot(options);
      const deps = app.get(Dependencies);
      const [first, second] = await Promise.all([
        eventsOf('overlap-1', () => deps.slow()),
        new Promise((resolve) => setTimeout(resolve, 5)).then(() => eventsOf('overlap-2', () => deps.slow())),
      ]);
      for (const events of [first, second]) expect(events.map((event) => event.name)).toEqual(['bulwark.timeout', 'bulwark.fallback']);
    });

    it('adds nothing with openTelemetry: false', async () => {
      const app = await boot({ ...options, openTelemetry: false });
      expect(await eventsOf('slow', () => app.get(Dependencies).slow())).toEqual([]);
    });
  });
});
