import { context, diag, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing, type ExportResult } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { ProtoWriter } from './proto-writer.ts';
import { writeResourceSpans, writeSpanField } from './span-encoder.ts';

/**
 * A batching span processor for OTLP protobuf export that encodes each span when it ends, instead
 * of keeping the span until its batch is exported as the SDK's BatchSpanProcessor does.
 *
 * Why: on the api's ingest path (one server span a request, ~10 000 a second) tracing cost
 * ~24 µs of CPU a request, and 15 µs of it went away with the exporter switched off. There, each
 * span was kept until its batch of 512 was full (~50 ms: long enough to survive a young-generation
 * collection), then walked twice by the serializer (size, then bytes). Encoded at once, a span is
 * garbage as soon as its request's context lets go of it, and its bytes go in one pass into a
 * reused buffer per instrumentation scope. A/B on bench/tracing-overhead.ts: +9 % req/s for the
 * traced api, better in 6 rounds of 6 (docs/BENCHMARKS.md).
 *
 * Same behaviour and settings as the BatchSpanProcessor (`OTEL_BSP_*`): only sampled spans;
 * batches of `maxExportBatchSize` spans, sent as soon as one is full or `scheduledDelayMillis`
 * after the first span of a partial one; one export in flight at a time; at most `maxQueueSize`
 * spans waiting, later ones dropped (and counted in a warning); `exportTimeoutMillis` per export;
 * the export runs with tracing suppressed (it must not trace itself). Sending, retries, headers,
 * compression and the endpoint are the OTLP exporter's own (`OTEL_EXPORTER_OTLP_*`).
 */

/** What the transport sends: one ExportTraceServiceRequest, already encoded. */
export interface EncodedSpanBatch {
  readonly bytes: Uint8Array;
  readonly spanCount: number;
}

/** The part of an OTLP exporter this processor uses (the SDK's `OTLPExporterBase` fits). */
export interface EncodedBatchExporter {
  export(batch: EncodedSpanBatch, done: (result: ExportResult) => void): void;
  forceFlush?(): Promise<void>;
  shutdown(): Promise<void>;
}

export interface EncodingSpanProcessorOptions {
  readonly exporter: EncodedBatchExporter;
  readonly maxExportBatchSize?: number;
  readonly maxQueueSize?: number;
  readonly scheduledDelayMillis?: number;
  readonly exportTimeoutMillis?: number;
}

type Scope = ReadableSpan['instrumentationScope'];

/** The spans of one scope in the batch being filled: `spans = 2` fields of a ScopeSpans message. */
interface ScopeSpans {
  readonly scope: Scope;
  readonly writer: ProtoWriter;
}

/**
 * A full batch is ~250 KB (512 spans of ~500 bytes); a buffer grown well past that by unusually
 * large spans is not kept for the next batch.
 */
const MAX_RETAINED_BYTES = 4 * 1024 * 1024;

export class EncodingSpanProcessor implements SpanProcessor {
  private readonly exporter: EncodedBatchExporter;
  private readonly maxExportBatchSize: number;
  private readonly maxQueueSize: number;
  private readonly scheduledDelayMillis: number;
  private readonly exportTimeoutMillis: number;

  /** The batch being filled, by resource then scope (insertion order is kept in the request). */
  private readonly filling = new Map<Resource, Map<Scope, ScopeSpans>>();
  private fillingCount = 0;
  /** Full batches waiting for their turn. */
  private readonly sealed: EncodedSpanBatch[] = [];
  private sealedCount = 0;
  private exporting: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;
  private stopped = false;
  private shutdownPromise: Promise<void> | undefined;
  private readonly assembler = new ProtoWriter(64 * 1024);

  constructor(options: EncodingSpanProcessorOptions) {
    this.exporter = options.exporter;
    this.maxQueueSize = options.maxQueueSize ?? 2048;
    this.maxExportBatchSize = Math.min(options.maxExportBatchSize ?? 512, this.maxQueueSize);
    this.scheduledDelayMillis = options.scheduledDelayMillis ?? 5000;
    this.exportTimeoutMillis = options.exportTimeoutMillis ?? 30_000;
  }

  onStart(_span: Span): void {}

  onEnd(span: ReadableSpan): void {
    if (this.stopped || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    if (this.fillingCount + this.sealedCount >= this.maxQueueSize) {
      if (this.dropped++ === 0) diag.debug('EncodingSpanProcessor: maxQueueSize reached, dropping spans');
      return;
    }
    if (this.dropped > 0) {
      diag.warn(`EncodingSpanProcessor: dropped ${this.dropped} spans because maxQueueSize was reached`);
      this.dropped = 0;
    }
    // The SDK calls onEnd on the app's own path (a response's close, a job's end): a span that
    // cannot be encoded (an id that is not hex) is dropped, never thrown into the app, and the
    // bytes written so far are taken back so the batch stays valid.
    const { writer } = this.scopeSpans(span);
    const start = writer.pos;
    try {
      writeSpanField(writer, span);
    } catch (error) {
      writer.pos = start;
      diag.error(`EncodingSpanProcessor: span ${span.name} could not be encoded and was dropped`, error);
      return;
    }
    if (++this.fillingCount >= this.maxExportBatchSize) {
      this.seal();
      this.pump();
    } else if (this.exporting === null) this.scheduleSeal(); // else: when the export is done
  }

  /** Seals and sends the partial batch `scheduledDelayMillis` from now (once). */
  private scheduleSeal(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.seal();
      this.pump();
    }, this.scheduledDelayMillis);
    this.timer.unref();
  }

  /** Sends every span ended so far; resolves when they have been exported (or failed to be). */
  async forceFlush(): Promise<void> {
    if (this.shutdownPromise) return this.shutdownPromise;
    await this.drain();
    await this.exporter.forceFlush?.();
  }

  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      await this.drain();
      this.stopped = true;
      await this.exporter.shutdown();
    })();
    return this.shutdownPromise;
  }

  private async drain(): Promise<void> {
    this.seal();
    while (this.exporting !== null || this.sealed.length > 0) {
      this.pump();
      await this.exporting;
    }
  }

  private scopeSpans(span: ReadableSpan): ScopeSpans {
    let scopes = this.filling.get(span.resource);
    if (!scopes) {
      scopes = new Map();
      this.filling.set(span.resource, scopes);
    }
    let entry = scopes.get(span.instrumentationScope);
    if (!entry) {
      entry = { scope: span.instrumentationScope, writer: new ProtoWriter(8 * 1024) };
      scopes.set(span.instrumentationScope, entry);
    }
    return entry;
  }

  /** Turns the batch being filled into one encoded ExportTraceServiceRequest. */
  private seal(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.fillingCount === 0) return;
    const w = this.assembler;
    w.reset();
    for (const [resource, scopes] of this.filling) {
      // Entries stay between batches (their buffers are reused): only those with spans now go in.
      const withSpans = [...scopes.values()].filter(({ writer }) => writer.pos > 0);
      if (withSpans.length === 0) continue;
      writeResourceSpans(w, resource, withSpans.map(({ scope, writer }) => ({ scope, spans: writer.view() })));
      for (const { writer } of withSpans) writer.reset(MAX_RETAINED_BYTES);
    }
    this.sealed.push({ bytes: w.copy(), spanCount: this.fillingCount });
    w.reset(MAX_RETAINED_BYTES);
    this.sealedCount += this.fillingCount;
    this.fillingCount = 0;
  }

  /** Starts the next export if none is in flight. */
  private pump(): void {
    if (this.exporting !== null) return;
    const batch = this.sealed.shift();
    if (!batch) return;
    this.sealedCount -= batch.spanCount;
    this.exporting = this.send(batch).finally(() => {
      this.exporting = null;
      if (this.sealed.length > 0) this.pump();
      else if (this.fillingCount > 0) this.scheduleSeal();
    });
  }

  private send(batch: EncodedSpanBatch): Promise<void> {
    return new Promise<void>((resolve) => {
      const timeout = setTimeout(() => {
        diag.error(`EncodingSpanProcessor: export of ${batch.spanCount} spans timed out after ${this.exportTimeoutMillis} ms`);
        resolve();
      }, this.exportTimeoutMillis);
      timeout.unref();
      context.with(suppressTracing(context.active()), () => {
        this.exporter.export(batch, (result) => {
          clearTimeout(timeout);
          if (result.code !== ExportResultCode.SUCCESS) diag.error(`EncodingSpanProcessor: export of ${batch.spanCount} spans failed`, result.error);
          resolve();
        });
      });
    });
  }
}
