/**
 * Tracing one ingest request, in-process: the work tracing adds to the api's
 * `POST /articles/:id/generate` on its own path — the server span started from Node's
 * `http.server.request.start` channel (ids, attributes, context, `x-trace-id`), the `traceparent`
 * carrier for the job, the span's end and its OTLP encoding (batches handed to an exporter that
 * discards them) — with no I/O, so that variants can be compared without the loaded machine's
 * noise. Each variant runs in fresh processes (JIT and heap history differ between processes),
 * interleaved; medians of ns per request.
 *
 *   npx node bench/tracing-request.ts
 * Env: BENCH_PROCESSES (per variant, default 5), BENCH_REQUESTS (per timed repetition, default 100 000)
 *
 * The loaded api spends ~3× these figures on the same code (cache misses, megamorphic call sites,
 * garbage collection at scale; docs/BENCHMARKS.md): read them as ratios.
 */
import { execFileSync } from 'node:child_process';
import { channel } from 'node:diagnostics_channel';
import { EventEmitter } from 'node:events';
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { expressRouteOf, startHttpServerSpans } from '../core/src/telemetry/http-server-spans.ts';
import { PooledRandomIdGenerator } from '../core/src/telemetry/ids.ts';
import { LeanTracer } from '../core/src/telemetry/lean-tracer.ts';
import { EncodingSpanProcessor } from '../core/src/telemetry/otlp/encoding-span-processor.ts';
import { isUntracedPath, TRACE_ID_HEADER } from '../core/src/telemetry/sdk.ts';
import { activeSpanContext, injectTraceContext } from '../core/src/telemetry/tracing.ts';
import { fmt, median } from './support/process.ts';

const VARIANTS = {
  off: 'SDK not started (OTEL_SDK_DISABLED=true)',
  always_off: 'always_off: context and ids only',
  no_export: 'always_on, no exporter (spans recorded)',
  always_on: 'always_on, encoded for OTLP (as shipped)',
  always_on_sdk_tracer: "always_on, the SDK's tracer and ids for the server span",
} as const;
type Variant = keyof typeof VARIANTS;

const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);
const CHILD = process.env.OPAD_BENCH_TRACING_REQUEST_VARIANT as Variant | undefined;

if (CHILD) {
  process.stdout.write(`${await measure(CHILD)}\n`);
} else {
  const results = Object.fromEntries(Object.keys(VARIANTS).map((v) => [v, [] as number[]])) as Record<Variant, number[]>;
  for (let i = 0; i < PROCESSES; i++) {
    for (const variant of Object.keys(VARIANTS) as Variant[]) {
      const out = execFileSync(process.execPath, [import.meta.filename], { env: { ...process.env, OPAD_BENCH_TRACING_REQUEST_VARIANT: variant }, encoding: 'utf8' });
      results[variant].push(Number(out.trim()));
    }
  }
  const base = median(results.off);
  console.log(`\ntracing one ingest request in-process — ${PROCESSES} processes a variant, ${REQUESTS} requests a repetition, Node ${process.version}`);
  console.log('| variant | ns/request (median) | tracing adds | processes (ns) |');
  console.log('|---|---:|---:|---|');
  for (const [variant, label] of Object.entries(VARIANTS) as Array<[Variant, string]>) {
    const m = median(results[variant]);
    console.log(`| ${label} | ${fmt(m, 0)} | ${variant === 'off' ? '—' : fmt(m - base, 0)} | ${results[variant].map((x) => fmt(x, 0)).join(', ')} |`);
  }
  const lean = median(results.always_on) - base;
  const sdk = median(results.always_on_sdk_tracer) - base;
  console.log(`\nthe LeanTracer's server span: tracing's work ${fmt(lean, 0)} ns against ${fmt(sdk, 0)} with the SDK's tracer (${fmt((1 - lean / sdk) * 100)} % less)`);
}

/** ns per request (median of 7 timed repetitions after a warm-up) for one variant, in this process. */
async function measure(variant: Variant): Promise<number> {
  if (variant !== 'off') setUpTracing(variant);
  const requestStart = channel('http.server.request.start');
  const socket = { remoteAddress: '::ffff:127.0.0.1' };
  let sink = 0;
  const request = (i: number) => {
    // What the channel's subscriber and the route read off a request and its response.
    const req = { url: `/articles/ab33bda0-50a3-4f8e-94a6-${100_000_000_000 + i}/generate`, method: 'POST', httpVersion: '1.1', headers: { host: '127.0.0.1:3000', 'user-agent': 'autocannon' }, socket, route: { path: '/articles/:id/generate' }, baseUrl: '' };
    const res = Object.assign(new EventEmitter(), { statusCode: 202, writableFinished: true, setHeader: () => res });
    requestStart.publish({ request: req, response: res, socket, server: null });
    sink += JSON.stringify(injectTraceContext()).length + (activeSpanContext() ? 1 : 0); // the job's carrier, the batch's link
    res.emit('close');
  };
  // Yield now and then: the processor exports (and frees its buffers) between ticks, as in the api.
  const tick = () => new Promise((r) => setImmediate(r));
  for (let i = 0; i < 50_000; i++) {
    request(i);
    if ((i & 255) === 0) await tick();
  }
  const times: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < REQUESTS; i++) {
      request(i);
      if ((i & 255) === 0) await tick();
    }
    times.push(Number(process.hrtime.bigint() - started) / REQUESTS);
  }
  if (sink === 0) throw new Error('nothing was measured');
  return median(times);
}

/** The SDK as sdk.ts starts it, with the variant's sampler, processors and server-span tracer. */
function setUpTracing(variant: Exclude<Variant, 'off'>): void {
  const discard = { export: (_batch: unknown, done: (r: { code: ExportResultCode }) => void) => done({ code: ExportResultCode.SUCCESS }), shutdown: async () => undefined };
  const spanProcessors: SpanProcessor[] = variant === 'always_on' || variant === 'always_on_sdk_tracer' ? [new EncodingSpanProcessor({ exporter: discard })] : [];
  const resource = resourceFromAttributes({ 'service.name': 'opad-api', 'service.version': '0.1.0' });
  const sampler = variant === 'always_off' ? new AlwaysOffSampler() : new AlwaysOnSampler();
  const sdkTracer = variant === 'always_on_sdk_tracer';
  const idGenerator = new PooledRandomIdGenerator();
  const provider = new TracerProvider({ resource, sampler, spanProcessors, ...(sdkTracer ? {} : { idGenerator }) });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  startHttpServerSpans({
    tracer: sdkTracer ? provider.getTracer('opad.http.server') : new LeanTracer({ sampler, idGenerator, spanProcessors, resource, scope: { name: 'opad.http.server' } }),
    attach: (ctx) => void contextManager.attach(ctx),
    isUntraced: isUntracedPath,
    routeOf: expressRouteOf,
    traceIdHeader: TRACE_ID_HEADER,
  });
}
