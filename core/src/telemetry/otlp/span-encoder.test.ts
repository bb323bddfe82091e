import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { decodeProtobufTraces } from '../../testing/otlp-receiver.ts';
import { EncodingSpanProcessor, type EncodedSpanBatch } from './encoding-span-processor.ts';
import { HttpServerSpan, type RequestFields } from '../http-server-spans.ts';
import { PooledRandomIdGenerator } from '../ids.ts';
import { LeanTracer } from '../lean-tracer.ts';
import { ProtoWriter } from './proto-writer.ts';

/** Real SDK spans of every shape the encoder handles, ended in order. */
function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'opad-test', 'service.version': '1.2.3', 'k8s.pod.name': 'api-7f9c' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const http = provider.getTracer('opad.http.server');
  const queue = provider.getTracer('opad.queue', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });

  const remote: SpanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState: new TraceState('vendor=a,other=b') };
  const server = http.startSpan('POST /articles/:id/generate', {
    kind: SpanKind.SERVER,
    attributes: { 'http.request.method': 'POST', 'url.path': '/articles/9b2…/generate', 'server.port': 3000, 'network.protocol.version': '1.1', 'user_agent.original': 'x'.repeat(200) },
  }, trace.setSpanContext(ROOT_CONTEXT, remote));
  server.setAttribute('http.response.status_code', 202);
  server.end();

  const producer = queue.startSpan('generate publish', {
    kind: SpanKind.PRODUCER,
    attributes: { 'messaging.batch.message_count': 3, ratio: 0.25, negative: -42, big: 2 ** 40, huge: 2 ** 70, ok: true, words: ['a', 'ü', '日本'], counts: [1, 2, 3], flags: [true, false], empty: '' },
    links: [{ context: remote, attributes: { why: 'request' } }, { context: { traceId: 'f'.repeat(32), spanId: '1'.repeat(16), traceFlags: 0 } }],
  });
  producer.addEvent('exception', { 'exception.message': 'Redis is down — retrying', 'exception.type': 'Error' });
  producer.addEvent('plain');
  producer.setStatus({ code: SpanStatusCode.ERROR, message: 'x'.repeat(300) });
  producer.end();

  const child = http.startSpan('internal', { kind: SpanKind.INTERNAL }, trace.setSpan(ROOT_CONTEXT, server));
  child.setStatus({ code: SpanStatusCode.OK });
  child.end();
  return memory.getFinishedSpans();
}

/** Server spans of the LeanTracer (their HTTP attributes in slots: the encoder's fast path), of every shape it writes. */
function makeServerSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const tracer = new LeanTracer({
    sampler: new AlwaysOnSampler(),
    idGenerator: new PooledRandomIdGenerator(),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
    resource: resourceFromAttributes({ 'service.name': 'opad-api' }),
    scope: { name: 'opad.http.server' },
  });
  const plain: RequestFields = { method: 'POST', methodOriginal: undefined, path: '/articles/9b2c7e1a-5f0e-4c1b-9d3e-2a7f4c8b1e6d/generate', scheme: 'http', protocolVersion: '1.1', serverAddress: '127.0.0.1', serverPort: 3000, userAgent: undefined };
  const cases: Array<{ request: RequestFields; status: number; route?: string; errorType?: string; app?: (span: HttpServerSpan) => void }> = [
    { request: plain, status: 202, route: '/articles/:id/generate' },
    // non-ASCII, long (a two-byte length), and empty values; an unknown method
    { request: { ...plain, method: '_OTHER', methodOriginal: 'PURGE', path: '/wörter/日本', userAgent: 'x'.repeat(200), serverAddress: '', serverPort: undefined }, status: 404 },
    { request: { ...plain, path: `/${'p'.repeat(120)}` }, status: 500, route: '/:path', errorType: '500', app: (span) => span.setAttribute('url.path', '/{redacted}').setAttribute('opad.own', ['a', 'b']) },
    { request: plain, status: 202, errorType: 'aborted', app: (span) => span.setAttribute('server.port', 3000.5) },
  ];
  for (const { request, status, route, errorType, app } of cases) {
    const span = tracer.startSpanWith((init) => new HttpServerSpan(init), 'POST', { kind: SpanKind.SERVER });
    if (!(span instanceof HttpServerSpan)) throw new Error('always_on: the span records');
    span.recordRequest(request);
    app?.(span);
    span.recordResponse(status, route, errorType);
    span.end();
  }
  return memory.getFinishedSpans();
}

async function encodeWithProcessor(spans: ReadableSpan[]): Promise<EncodedSpanBatch[]> {
  const sent: EncodedSpanBatch[] = [];
  const processor = new EncodingSpanProcessor({
    exporter: { export: (batch, done) => (sent.push(batch), done({ code: 0 })), shutdown: async () => undefined },
  });
  for (const span of spans) processor.onEnd(span);
  await processor.forceFlush();
  return sent;
}

describe('OTLP span encoding', () => {
  it('writes the same bytes as the SDK serializer for spans of every shape', async () => {
    const spans = makeSpans();
    const [batch, ...rest] = await encodeWithProcessor(spans);
    expect(rest).toHaveLength(0);
    expect(batch!.spanCount).toBe(3);
    const reference = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(Buffer.from(batch!.bytes).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
  });

  it('writes the same bytes as the SDK serializer for the server spans whose HTTP attributes are in slots', async () => {
    const spans = makeServerSpans();
    const [batch] = await encodeWithProcessor(spans);
    expect(batch!.spanCount).toBe(4);
    const reference = ProtobufTraceSerializer.serializeRequest(spans)!;
    expect(Buffer.from(batch!.bytes).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
    const decoded = decodeProtobufTraces(batch!.bytes);
    expect(decoded.map((s) => s.attributes['url.path'])).toEqual(['/articles/9b2c7e1a-5f0e-4c1b-9d3e-2a7f4c8b1e6d/generate', '/wörter/日本', '/{redacted}', '/articles/9b2c7e1a-5f0e-4c1b-9d3e-2a7f4c8b1e6d/generate']);
    expect(decoded[1]!.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE', 'user_agent.original': 'x'.repeat(200), 'http.response.status_code': 404 });
    expect(decoded[3]!.attributes['server.port']).toBe(3000.5);
  });

  it('decodes to the spans that ended: ids, parents, kinds, attributes, events, links, status', async () => {
    const spans = makeSpans();
    const [batch] = await encodeWithProcessor(spans);
    const decoded = decodeProtobufTraces(batch!.bytes);
    // grouped by scope: the two opad.http.server spans, then opad.queue's
    expect(decoded.map((s) => s.name)).toEqual(['POST /articles/:id/generate', 'internal', 'generate publish']);
    const [server, child, producer] = decoded;
    expect(server!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(server!.parentSpanId).toBe('b7ad6b7169203331');
    expect(server!.serviceName).toBe('opad-test');
    expect(server!.attributes).toMatchObject({ 'url.path': '/articles/9b2…/generate', 'server.port': 3000, 'http.response.status_code': 202 });
    expect(child!.parentSpanId).toBe(server!.spanId);
    expect(producer!.scope).toBe('opad.queue');
    expect(producer!.attributes).toMatchObject({ negative: -42, big: 2 ** 40, ratio: 0.25, ok: true, words: ['a', 'ü', '日本'], counts: [1, 2, 3] });
    expect(producer!.events.map((e) => e.name)).toEqual(['exception', 'plain']);
    expect(producer!.events[0]!.attributes['exception.message']).toBe('Redis is down — retrying');
    expect(producer!.links.map((l) => l.traceId)).toEqual(['0af7651916cd43dd8448eb211c80319c', 'f'.repeat(32)]);
    expect(producer!.status).toEqual({ code: 2, message: 'x'.repeat(300) });
    expect(Math.abs(server!.startMs - Date.now())).toBeLessThan(60_000);
  });
});

describe('batches after the first', () => {
  it('hold only the resources and scopes that have spans in them (same bytes as the SDK serializer)', async () => {
    const sent: EncodedSpanBatch[] = [];
    const processor = new EncodingSpanProcessor({ exporter: { export: (batch, done) => (sent.push(batch), done({ code: 0 })), shutdown: async () => undefined } });
    const memory = new InMemorySpanExporter();
    const providerOf = (service: string) =>
      new TracerProvider({ resource: resourceFromAttributes({ 'service.name': service }), spanProcessors: [processor, new SimpleSpanProcessor({ exporter: memory })] });
    const [api, worker] = [providerOf('api'), providerOf('worker')];
    api.getTracer('a').startSpan('api-1').end();
    worker.getTracer('w').startSpan('worker-1').end();
    await processor.forceFlush();
    worker.getTracer('w2').startSpan('worker-2').end();
    await processor.forceFlush();
    const [first, second] = [memory.getFinishedSpans().slice(0, 2), memory.getFinishedSpans().slice(2)];
    expect(sent.map((b) => Buffer.from(b.bytes).toString('hex'))).toEqual(
      [first, second].map((spans) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!).toString('hex')),
    );
  });
});

describe('ProtoWriter', () => {
  it('writes HrTime as exact 64-bit nanoseconds', () => {
    for (const time of [[0, 0], [1, 1], [1_764_403_200, 999_999_999], [4_294_967_295, 123_456_789], [65_535, 999_999_999], [65_536, 0]] as Array<[number, number]>) {
      const w = new ProtoWriter(16);
      w.hrTime(time);
      expect(w.view().readBigUInt64LE(0)).toBe(BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]));
    }
  });

  it('encodes negative and large integers as int64 varints', () => {
    const cases: Array<[number, bigint]> = [[-1, 2n ** 64n - 1n], [-42, 2n ** 64n - 42n], [2 ** 40, 2n ** 40n], [2 ** 53 - 1, 2n ** 53n - 1n]];
    for (const [value, expected] of cases) {
      const w = new ProtoWriter(16);
      w.varint(value);
      let decoded = 0n;
      const bytes = w.view();
      for (let i = 0; i < bytes.length; i++) decoded |= BigInt(bytes[i]! & 0x7f) << BigInt(7 * i);
      expect(decoded).toBe(expected);
    }
  });

  it('writes every string as its UTF-8 bytes after a varint length, ASCII or not, short or long', () => {
    const ascii127 = 'a'.repeat(127);
    for (const value of ['', 'POST', 'url.path', ascii127, 'a'.repeat(128), `${'a'.repeat(126)}é`, 'é', 'naïve café', `${'x'.repeat(42)}€`, '日本語'.repeat(50), '😀 emoji']) {
      const w = new ProtoWriter(8);
      w.string(value);
      const bytes = w.view();
      let length = 0;
      let at = 0;
      for (let shift = 0; ; shift += 7) {
        const b = bytes[at++]!;
        length |= (b & 0x7f) << shift;
        if (b < 0x80) break;
      }
      expect(length).toBe(Buffer.byteLength(value, 'utf8'));
      expect(bytes.subarray(at).toString('utf8')).toBe(value);
    }
  });

  it('writes hex ids as their bytes, either case, and refuses anything else', () => {
    const w = new ProtoWriter(8);
    w.hexBytes('0af7651916cd43dd8448eb211c80319c');
    w.hexBytes('B7AD6B7169203331');
    expect(w.view().toString('hex')).toBe('100af7651916cd43dd8448eb211c80319c08b7ad6b7169203331');
    expect(() => new ProtoWriter().hexBytes('zz')).toThrow(/not a hex id/);
  });

  it('grows past its initial size and moves nested content when a length needs more bytes', () => {
    const w = new ProtoWriter(4);
    const outer = w.begin();
    const inner = w.begin();
    w.string('é'.repeat(5000));
    w.end(inner);
    w.end(outer);
    const bytes = w.view();
    // outer length (2 bytes) + inner length (2 bytes) + string length (2 bytes) + 10 000 bytes
    expect(bytes.length).toBe(10_006);
    expect(bytes.subarray(6).toString('utf8')).toBe('é'.repeat(5000));
  });

  it('lets go of a buffer that one huge span grew, and keeps a normal one', () => {
    const w = new ProtoWriter(1024);
    w.string('x'.repeat(5_000_000));
    w.reset(4 * 1024 * 1024);
    expect(w.capacity).toBe(1024);
    w.string('x'.repeat(3000));
    w.reset(4 * 1024 * 1024);
    expect(w.capacity).toBe(4096);
  });
});

describe('a huge span between normal ones', () => {
  it('is exported whole, and so are the spans after it (one processor throughout)', async () => {
    const sent: EncodedSpanBatch[] = [];
    const processor = new EncodingSpanProcessor({ exporter: { export: (batch, done) => (sent.push(batch), done({ code: 0 })), shutdown: async () => undefined } });
    const tracer = new TracerProvider({ spanProcessors: [processor] }).getTracer('big');
    tracer.startSpan('before').end();
    tracer.startSpan('huge', { attributes: { blob: 'é'.repeat(3_000_000) } }).end();
    await processor.forceFlush();
    tracer.startSpan('after').end();
    await processor.forceFlush();
    const spans = sent.flatMap((b) => decodeProtobufTraces(b.bytes));
    expect(spans.map((s) => s.name)).toEqual(['before', 'huge', 'after']);
    expect((spans[1]!.attributes.blob as string).length).toBe(3_000_000);
  });
});
