import {
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Link,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';

/**
 * Tracing helpers for app code. They use only the OpenTelemetry API: when the SDK is not
 * started (`OTEL_SDK_DISABLED=true`, unit tests) every call is a cheap no-op that still runs `fn`.
 */

export type { Attributes, Span, SpanContext, Tracer };
export { SpanKind, SpanStatusCode };

/** One tracer per component (`getTracer('worker.pipeline')` → scope `opad.worker.pipeline`). */
export function getTracer(component: string): Tracer {
  return trace.getTracer(`opad.${component}`);
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly links?: Link[];
  readonly tracer?: Tracer;
  /** Start under this context instead of the active one. */
  readonly parent?: Context;
}

/** An error's `code` (OPAD's typed errors carry one) becomes `opad.error.code`. */
export function recordError(span: Span, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
  const code = (error as { code?: unknown } | null)?.code;
  const hasCode = typeof code === 'string' || typeof code === 'number';
  if (hasCode) span.setAttribute('opad.error.code', String(code));
  // error.type: a low-cardinality identifier (semantic conventions): the code, else the class name.
  span.setAttribute('error.type', hasCode ? String(code) : err.name);
}

/**
 * Runs `fn` inside a new active span; a thrown error (or rejection) is recorded on the span, which
 * gets status ERROR, and is rethrown. The span always ends.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T> | T, options: SpanOptions = {}): Promise<T> {
  const tracer = options.tracer ?? getTracer('app');
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes, links: options.links }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      recordError(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** The W3C carrier (`traceparent`, `tracestate`, `baggage`) of the active context: what goes into job data. */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** The context a carrier describes (the root context when it is empty or malformed). */
export function extractTraceContext(carrier: Readonly<Record<string, string>> | undefined): Context {
  return carrier && Object.keys(carrier).length > 0 ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** Runs `fn` with the carrier's context active, so the spans it starts join that trace. */
export function withExtractedContext<T>(carrier: Readonly<Record<string, string>> | undefined, fn: () => T): T {
  return context.with(extractTraceContext(carrier), fn);
}

/**
 * The active span's ids: what a deferred operation (a grouped enqueue) keeps, to link to the
 * request later. Only the ids, not the context: a context holds its span, and a span kept past its
 * request by a batch in flight survives young-generation collections — keeping the requests'
 * contexts instead multiplied the bytes the traced api promoted to the old generation by 4
 * (`--trace-gc-nvp`: ~70 → ~280 KB a scavenge), and its major collections with them.
 */
export function activeSpanContext(): SpanContext | undefined {
  return trace.getActiveSpan()?.spanContext();
}

/**
 * Producer side of a batched enqueue (the api's group commit): one PRODUCER span for the batch,
 * linked to the span of each message's request (each job's consumer span is parented to its own
 * request through the carrier it carries); `requests` are those spans' ids, kept when they asked
 * (`activeSpanContext()`), which costs less than parsing them back out of the carriers. The
 * client spans of the commands inside — one ioredis span per job — are suppressed: they cost
 * more than the rest of a traced ingest request and say no more than this span does. The span
 * is a child of the first message's request (not of whatever context happened to start the batch).
 */
export function withBatchPublishSpan<T>(queue: string, requests: ReadonlyArray<SpanContext | undefined>, fn: () => Promise<T>): Promise<T> {
  const links: Link[] = [];
  for (const request of requests) if (request && isSpanContextValid(request)) links.push({ context: request });
  const first = requests[0];
  return withSpan(
    `${queue} publish`,
    { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': 'send', 'messaging.batch.message_count': requests.length },
    // Suppressed, and with no active span: instrumentations that require a parent (ioredis here)
    // then return at once instead of building each command's attributes for a span never recorded.
    () => context.with(suppressTracing(trace.deleteSpan(context.active())), fn),
    { kind: SpanKind.PRODUCER, tracer: getTracer('queue'), links, parent: first && isSpanContextValid(first) ? trace.setSpanContext(ROOT_CONTEXT, first) : ROOT_CONTEXT },
  );
}

/**
 * Consumer side: a CONSUMER span parented to the carrier's context (the producer span), linked to
 * it as well, so viewers that split traces at a queue still connect the two.
 */
export function withConsumerSpan<T>(
  queue: string,
  carrier: Readonly<Record<string, string>> | undefined,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
): Promise<T> {
  const parent = extractTraceContext(carrier);
  const producer = trace.getSpanContext(parent);
  const links: Link[] = producer && isSpanContextValid(producer) ? [{ context: producer }] : [];
  return withSpan(
    `${queue} process`,
    { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': 'process', ...attributes },
    fn,
    { kind: SpanKind.CONSUMER, tracer: getTracer('queue'), parent, links },
  );
}

/** For the pino mixin (`setTraceIdsProvider`): `{trace_id, span_id, trace_flags}` or nothing. */
export function traceIdsForLog(): Record<string, string> {
  const sc = trace.getActiveSpan()?.spanContext();
  if (!sc || !isSpanContextValid(sc)) return {};
  return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: `0${sc.traceFlags.toString(16)}` };
}
