import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PooledRandomIdGenerator } from './ids.ts';
import { LeanTracer } from './lean-tracer.ts';

const resource = resourceFromAttributes({ 'service.name': 'opad-test' });
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => void context.setGlobalContextManager(contextManager.enable()));
afterAll(() => context.disable());

/** The SDK's tracer and a LeanTracer on the same sampler, processors and resource. */
function pair(sampler: Sampler = new AlwaysOnSampler(), extra: SpanProcessor[] = []) {
  const exporter = new InMemorySpanExporter();
  const spanProcessors = [new SimpleSpanProcessor({ exporter }), ...extra];
  const provider = new TracerProvider({ resource, sampler, spanProcessors });
  const sdk = provider.getTracer('opad.http.server');
  const lean = new LeanTracer({ sampler, idGenerator: new PooledRandomIdGenerator(), spanProcessors, resource, scope: { name: 'opad.http.server' } });
  return { sdk, lean, exporter };
}

/** What a processor or exporter reads off a span, minus ids and times. */
function readable(span: ReadableSpan) {
  return {
    name: span.name,
    kind: span.kind,
    attributes: span.attributes,
    events: span.events.map((e) => ({ name: e.name, attributes: e.attributes, dropped: e.droppedAttributesCount })),
    links: span.links,
    status: span.status,
    dropped: [span.droppedAttributesCount, span.droppedEventsCount, span.droppedLinksCount],
    ended: span.ended,
    resource: span.resource.attributes,
    scope: span.instrumentationScope.name,
    parent: span.parentSpanContext?.spanId,
  };
}

/** Everything app code may do to a server span it finds active, including what must be refused. */
function exercise(span: Span): void {
  span.setAttribute('http.request.method', 'POST');
  span.setAttribute('server.port', 8080);
  span.setAttribute('opad.flag', true);
  span.setAttribute('opad.list', ['a', 'b']);
  span.setAttribute('opad.nested', { deep: 1 } as never);
  span.setAttribute('', 'empty key');
  span.setAttribute('opad.undefined', undefined as never);
  span.setAttribute('opad.function', (() => 1) as never);
  span.setAttributes({ 'url.path': '/articles/1', 'server.port': 8081 });
  span.addEvent('plain');
  span.addEvent('with attributes', { 'opad.count': 2, 'opad.bad': { no: 'nested' } as never });
  span.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED }, attributes: { why: 'batch' } });
  span.setStatus({ code: SpanStatusCode.UNSET });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
  span.recordException(Object.assign(new Error('it broke'), { code: 'E_BROKE' }));
  span.updateName('POST /articles/:id/generate');
  span.setStatus({ code: SpanStatusCode.OK });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'after OK: ignored' });
  span.end();
  span.setAttribute('after.end', 1);
  span.addEvent('after end');
  span.updateName('renamed after end');
  span.end();
}

describe('LeanTracer', () => {
  it('records what the SDK tracer records for the same calls, and hands it to the processors once', () => {
    const { sdk, lean, exporter } = pair();
    for (const tracer of [sdk, lean]) exercise(tracer.startSpan('POST', { kind: SpanKind.SERVER }, ROOT_CONTEXT));
    const [fromSdk, fromLean] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(2);
    expect(readable(fromLean!)).toEqual(readable(fromSdk!));
    // and the record holds what a user would look for
    expect(fromLean!.name).toBe('POST /articles/:id/generate');
    expect(fromLean!.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.port': 8081, 'url.path': '/articles/1', 'opad.list': ['a', 'b'] });
    expect(fromLean!.attributes).not.toHaveProperty('after.end');
    expect(fromLean!.status).toEqual({ code: SpanStatusCode.OK });
    expect(fromLean!.events.map((e) => e.name)).toEqual(['plain', 'with attributes', 'exception']);
    expect(fromLean!.events[2]!.attributes).toMatchObject({ 'exception.type': 'E_BROKE', 'exception.message': 'it broke' });
  });

  it('keeps the span times in order and on the wall clock, as the SDK does', async () => {
    const { lean, exporter } = pair();
    const before = Date.now();
    const span = lean.startSpan('timed', {}, ROOT_CONTEXT);
    await new Promise((r) => setTimeout(r, 20));
    span.addEvent('midway');
    span.end();
    const [s] = exporter.getFinishedSpans();
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(s!.startTime)).toBeGreaterThanOrEqual(before - 1);
    expect(ms(s!.endTime) - ms(s!.startTime)).toBeGreaterThanOrEqual(19);
    expect(ms(s!.duration)).toBeCloseTo(ms(s!.endTime) - ms(s!.startTime), 3);
    expect(ms(s!.events[0]!.time)).toBeLessThanOrEqual(ms(s!.endTime));
    // an explicit end time in epoch milliseconds is taken as given
    const explicit = lean.startSpan('explicit', { startTime: 1_700_000_000_000 }, ROOT_CONTEXT);
    explicit.end(1_700_000_000_250);
    expect(ms(exporter.getFinishedSpans()[1]!.duration)).toBe(250);
  });

  it('follows the sampler: a sampled-out span records nothing but carries valid ids', () => {
    const { lean, exporter } = pair(new AlwaysOffSampler());
    const span = lean.startSpan('off', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    expect(span.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
    span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('joins the caller’s trace and honours its sampled flag under a parent-based sampler', () => {
    const { lean, exporter } = pair(new ParentBasedSampler({ root: new AlwaysOnSampler() }));
    const remote = (flags: number) => trace.setSpanContext(ROOT_CONTEXT, { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: flags, isRemote: true });
    const unsampled = lean.startSpan('child of unsampled', {}, remote(TraceFlags.NONE));
    expect(unsampled.isRecording()).toBe(false);
    expect(unsampled.spanContext().traceId).toBe('c'.repeat(32));
    const sampled = lean.startSpan('child of sampled', {}, remote(TraceFlags.SAMPLED));
    sampled.end();
    const [s] = exporter.getFinishedSpans();
    expect(s!.spanContext().traceId).toBe('c'.repeat(32));
    expect(s!.parentSpanContext).toMatchObject({ spanId: 'd'.repeat(16), isRemote: true });
    expect(s!.spanContext().spanId).not.toBe('d'.repeat(16));
  });

  it('starts nothing under a suppressed context', () => {
    const { lean, exporter } = pair();
    const span = lean.startSpan('suppressed', {}, suppressTracing(ROOT_CONTEXT));
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('applies the SDK’s attribute count limit (128) and counts what it dropped', () => {
    const { sdk, lean, exporter } = pair();
    for (const tracer of [sdk, lean] as Array<Pick<Tracer, 'startSpan'>>) {
      const span = tracer.startSpan('many', {}, ROOT_CONTEXT);
      for (let i = 0; i < 130; i++) span.setAttribute(`a${i}`, i);
      span.setAttribute('a0', 'overwritten');
      span.end();
    }
    const [fromSdk, fromLean] = exporter.getFinishedSpans();
    expect(Object.keys(fromLean!.attributes)).toHaveLength(128);
    expect(fromLean!.droppedAttributesCount).toBe(2);
    expect(fromLean!.attributes['a0']).toBe('overwritten');
    expect(readable(fromLean!)).toEqual(readable(fromSdk!));
  });

  it('calls onStart with the parent context, onEnding before the span is read-only, then onEnd', () => {
    const calls: string[] = [];
    const watcher: SpanProcessor = {
      onStart: (span, ctx) => void calls.push(`start ${span.name} ${ctx === ROOT_CONTEXT}`),
      onEnding: (span) => void calls.push(`ending ${span.ended}`),
      onEnd: (span) => void calls.push(`end ${span.ended}`),
      forceFlush: async () => undefined,
      shutdown: async () => undefined,
    };
    const { lean } = pair(new AlwaysOnSampler(), [watcher]);
    const span = lean.startSpan('watched', {}, ROOT_CONTEXT);
    span.end();
    span.end();
    expect(calls).toEqual(['start watched true', 'ending false', 'end true']);
  });
});
