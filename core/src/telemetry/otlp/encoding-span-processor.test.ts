import { context, trace, type Context } from '@opentelemetry/api';
import { ExportResultCode, isTracingSuppressed, type ExportResult } from '@opentelemetry/core';
import { AlwaysOffSampler, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufTraces, startOtlpReceiver, type OtlpReceiver } from '../../testing/otlp-receiver.ts';
import { freePort } from '../../testing/ports.ts';
import { EncodingSpanProcessor, type EncodedBatchExporter, type EncodedSpanBatch } from './encoding-span-processor.ts';
import { createOtlpProtobufExporter } from './protobuf-exporter.ts';

/** An exporter that keeps what it is given and answers when the test says so. */
function recordingExporter(answer: (batch: EncodedSpanBatch) => ExportResult | 'hold' = () => ({ code: ExportResultCode.SUCCESS })) {
  const batches: EncodedSpanBatch[] = [];
  const contexts: Context[] = [];
  const held: Array<() => void> = [];
  let shutDown = false;
  const exporter: EncodedBatchExporter = {
    export(batch, done) {
      batches.push(batch);
      contexts.push(context.active());
      const result = answer(batch);
      if (result === 'hold') held.push(() => done({ code: ExportResultCode.SUCCESS }));
      else done(result);
    },
    shutdown: async () => void (shutDown = true),
  };
  const names = () => batches.map((b) => decodeProtobufTraces(b.bytes).map((s) => s.name));
  return { exporter, batches, contexts, held, names, isShutDown: () => shutDown };
}

function tracerWith(processor: SpanProcessor, sampler?: AlwaysOffSampler) {
  const provider = new TracerProvider({ spanProcessors: [processor], ...(sampler ? { sampler } : {}) });
  return { tracer: provider.getTracer('test'), provider };
}

const endSpans = (tracer: ReturnType<typeof tracerWith>['tracer'], n: number, prefix = 's') => {
  for (let i = 0; i < n; i++) tracer.startSpan(`${prefix}${i}`).end();
};

const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(contextManager.enable()));
afterAll(() => context.disable());

describe('EncodingSpanProcessor', () => {
  it('sends a full batch at once and the rest after the scheduled delay', async () => {
    const rec = recordingExporter();
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter, maxExportBatchSize: 3, scheduledDelayMillis: 50 });
    const { tracer } = tracerWith(processor);
    endSpans(tracer, 4);
    await new Promise((r) => setImmediate(r));
    expect(rec.names()).toEqual([['s0', 's1', 's2']]);
    await new Promise((r) => setTimeout(r, 120));
    expect(rec.names()).toEqual([['s0', 's1', 's2'], ['s3']]);
    expect(rec.batches.map((b) => b.spanCount)).toEqual([3, 1]);
  });

  it('keeps one export in flight and sends the batches that filled meanwhile in order', async () => {
    const rec = recordingExporter(() => 'hold');
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter, maxExportBatchSize: 2, scheduledDelayMillis: 10_000 });
    const { tracer } = tracerWith(processor);
    endSpans(tracer, 6);
    expect(rec.batches).toHaveLength(1);
    rec.held.shift()!();
    await new Promise((r) => setImmediate(r));
    expect(rec.batches).toHaveLength(2);
    rec.held.shift()!();
    await new Promise((r) => setImmediate(r));
    rec.held.shift()!();
    expect(rec.names()).toEqual([['s0', 's1'], ['s2', 's3'], ['s4', 's5']]);
  });

  it('drops spans past maxQueueSize while an export is stuck, and takes new ones once it is done', async () => {
    const rec = recordingExporter(() => 'hold');
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter, maxExportBatchSize: 2, maxQueueSize: 4, scheduledDelayMillis: 10_000 });
    const { tracer } = tracerWith(processor);
    endSpans(tracer, 2, 'first'); // sent, held
    endSpans(tracer, 6, 'queued'); // 4 fit, 2 dropped
    rec.held.shift()!();
    await new Promise((r) => setImmediate(r));
    rec.held.shift()!();
    await new Promise((r) => setImmediate(r));
    endSpans(tracer, 2, 'later');
    rec.held.shift()!();
    await new Promise((r) => setImmediate(r));
    rec.held.shift()!();
    expect(rec.names()).toEqual([['first0', 'first1'], ['queued0', 'queued1'], ['queued2', 'queued3'], ['later0', 'later1']]);
  });

  it('goes on after a failed export', async () => {
    let calls = 0;
    const rec = recordingExporter(() => (calls++ === 0 ? { code: ExportResultCode.FAILED, error: new Error('collector down') } : { code: ExportResultCode.SUCCESS }));
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter, maxExportBatchSize: 1 });
    const { tracer } = tracerWith(processor);
    endSpans(tracer, 2);
    await processor.forceFlush();
    expect(rec.names()).toEqual([['s0'], ['s1']]);
  });

  it('drops a span it cannot encode, without throwing into the app, and the rest of the batch stays valid', async () => {
    const rec = recordingExporter();
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter });
    const { tracer } = tracerWith(processor);
    tracer.startSpan('before').end();
    const broken = tracer.startSpan('broken');
    // a span whose id is not hex: nothing the SDK makes, but a bug must not reach the request
    const { spanContext } = broken;
    broken.spanContext = () => ({ ...spanContext.call(broken), spanId: 'not-a-hex-id!!!!' });
    expect(() => broken.end()).not.toThrow();
    tracer.startSpan('after').end();
    await processor.forceFlush();
    expect(rec.names()).toEqual([['before', 'after']]);
  });

  it('exports only sampled spans, with tracing suppressed during the export', async () => {
    const rec = recordingExporter();
    const sampled = new EncodingSpanProcessor({ exporter: rec.exporter });
    endSpans(tracerWith(sampled, new AlwaysOffSampler()).tracer, 3, 'unsampled');
    endSpans(tracerWith(sampled).tracer, 1, 'sampled');
    await sampled.forceFlush();
    expect(rec.names()).toEqual([['sampled0']]);
    expect(isTracingSuppressed(rec.contexts[0]!)).toBe(true);
  });

  it('flushes on shutdown, shuts the exporter down, and ignores spans that end afterwards', async () => {
    const rec = recordingExporter();
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter, scheduledDelayMillis: 60_000 });
    const { tracer } = tracerWith(processor);
    endSpans(tracer, 2);
    await processor.shutdown();
    expect(rec.names()).toEqual([['s0', 's1']]);
    expect(rec.isShutDown()).toBe(true);
    endSpans(tracer, 1, 'late');
    await processor.forceFlush();
    expect(rec.batches).toHaveLength(1);
  });

  it('gives up on an export that outlives exportTimeoutMillis and sends the next batch', async () => {
    const rec = recordingExporter((batch) => (batch.spanCount === 1 && rec.batches.length === 1 ? 'hold' : { code: ExportResultCode.SUCCESS }));
    const processor = new EncodingSpanProcessor({ exporter: rec.exporter, maxExportBatchSize: 1, exportTimeoutMillis: 30 });
    const { tracer } = tracerWith(processor);
    endSpans(tracer, 2);
    await processor.forceFlush();
    expect(rec.names()).toEqual([['s0'], ['s1']]);
  });
});

describe('the OTLP/HTTP protobuf exporter it feeds', () => {
  let receiver: OtlpReceiver;
  const saved = { ...process.env };
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => {
    process.env = { ...saved };
    receiver.clear();
  });
  afterAll(() => receiver.close());

  it('posts to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, gzip when OTEL_EXPORTER_OTLP_COMPRESSION says so', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    for (const compression of ['none', 'gzip']) {
      process.env.OTEL_EXPORTER_OTLP_COMPRESSION = compression;
      const processor = new EncodingSpanProcessor({ exporter: createOtlpProtobufExporter() });
      const { tracer, provider } = tracerWith(processor);
      const parent = tracer.startSpan(`parent-${compression}`);
      tracer.startSpan(`child-${compression}`, {}, trace.setSpan(context.active(), parent)).end();
      parent.end();
      await provider.shutdown();
    }
    const spans = await receiver.waitForSpans((s) => s.length >= 4);
    expect(spans.map((s) => s.name)).toEqual(['child-none', 'parent-none', 'child-gzip', 'parent-gzip']);
    expect(spans[0]!.parentSpanId).toBe(spans[1]!.spanId);
    expect(spans[0]!.traceId).toBe(spans[1]!.traceId);
  });

  it('keeps its connection to the collector between exports', async () => {
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    const before = { connections: receiver.connections(), requests: receiver.requests() };
    const processor = new EncodingSpanProcessor({ exporter: createOtlpProtobufExporter() });
    const { tracer, provider } = tracerWith(processor);
    for (let batch = 0; batch < 3; batch++) {
      endSpans(tracer, 2, `batch${batch}-`);
      await processor.forceFlush();
    }
    await provider.shutdown();
    expect(receiver.requests() - before.requests).toBe(3);
    expect(receiver.connections() - before.connections).toBe(1);
  });

  it('while the collector is down: spans are bounded, nothing hangs; once it is up again, new spans arrive', async () => {
    const port = await freePort();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '2000';
    const processor = new EncodingSpanProcessor({ exporter: createOtlpProtobufExporter(), maxExportBatchSize: 10, maxQueueSize: 20, scheduledDelayMillis: 20 });
    const { tracer, provider } = tracerWith(processor);
    endSpans(tracer, 100, 'lost');
    const started = Date.now();
    await processor.forceFlush();
    expect(Date.now() - started).toBeLessThan(10_000);

    const back = await startOtlpReceiver({ port });
    try {
      endSpans(tracer, 3, 'kept');
      await provider.shutdown();
      const spans = await back.waitForSpans((s) => s.length >= 3);
      expect(spans.map((s) => s.name)).toEqual(['kept0', 'kept1', 'kept2']);
    } finally {
      await back.close();
    }
  }, 20_000);
});
