/**
 * OTLP span encoding: OPAD's one-span-at-a-time protobuf encoder (core/src/telemetry/otlp) beside
 * the SDK's own serializer (`ProtobufTraceSerializer`), on the spans a traced ingest request ends
 * with: its HTTP server span, and its share of the group's `generate publish` span (one link per
 * request) and pg span — the server span both as the SDK's tracer makes it and as the api ships it
 * (the LeanTracer's HttpServerSpan, its HTTP attributes in slots). Both encoders produce the same
 * bytes (span-encoder.test.ts compares them). Rounds alternate; medians of ns per span.
 *
 *   npx node bench/otlp-encoding.ts
 * Env: BENCH_ROUNDS (default 7), BENCH_SPANS (per round, default 100 000)
 */
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { HttpServerSpan } from '../core/src/telemetry/http-server-spans.ts';
import { PooledRandomIdGenerator } from '../core/src/telemetry/ids.ts';
import { LeanTracer } from '../core/src/telemetry/lean-tracer.ts';
import { ProtoWriter } from '../core/src/telemetry/otlp/proto-writer.ts';
import { writeSpanField } from '../core/src/telemetry/otlp/span-encoder.ts';
import { fmt, median } from './support/process.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SPANS = Number(process.env.BENCH_SPANS ?? 100_000);
const BATCH = 512; // the processors' default export batch

const exporter = new InMemorySpanExporter();
const resource = resourceFromAttributes({ 'service.name': 'opad-api', 'service.version': '0.1.0' });
const provider = new TracerProvider({
  resource,
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});

function requestSpans(): Record<'server' | 'publish' | 'pg', ReadableSpan> {
  const server = provider.getTracer('opad.http.server').startSpan('POST', { kind: SpanKind.SERVER });
  server.setAttributes({
    'http.request.method': 'POST',
    'url.path': '/articles/5f0c6a2e-8d3b-4c1a-9e7f-2b6d4a8c0e13/generate',
    'url.scheme': 'http',
    'network.protocol.version': '1.1',
    'server.address': 'opad-api',
    'server.port': 8080,
    'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  });
  server.setAttributes({ 'http.response.status_code': 202, 'http.route': '/articles/:id/generate' });
  server.updateName('POST /articles/:id/generate');
  const parent = trace.setSpan(ROOT_CONTEXT, server);
  const links = Array.from({ length: 8 }, () => ({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: TraceFlags.SAMPLED } }));
  const publish = provider.getTracer('opad.queue').startSpan('generate publish', { kind: SpanKind.PRODUCER, links, attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': 'generate', 'messaging.operation.type': 'send', 'messaging.batch.message_count': 8 } }, parent);
  publish.end();
  const pg = provider.getTracer('@opentelemetry/instrumentation-pg').startSpan('WITH opad', { kind: SpanKind.CLIENT, attributes: { 'db.system.name': 'postgresql', 'db.namespace': 'opad', 'server.address': 'postgres', 'server.port': 5432, 'db.query.text': 'WITH req AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[]) AS r(article_id, job_id, trace)) SELECT 1'.repeat(4) } }, parent);
  pg.end();
  server.end();
  const named = (name: string) => exporter.getFinishedSpans().find((s) => s.name === name)!;
  return { server: named('POST /articles/:id/generate'), publish: named('generate publish'), pg: named('WITH opad') };
}

/** The same server span from the LeanTracer, as the api's server spans are (http-server-spans.ts). */
function shippedServerSpan(): ReadableSpan {
  const lean = new LeanTracer({ sampler: new AlwaysOnSampler(), idGenerator: new PooledRandomIdGenerator(), spanProcessors: [new SimpleSpanProcessor({ exporter })], resource, scope: { name: 'opad.http.server' } });
  const span = lean.startSpanWith((init) => new HttpServerSpan(init), 'POST', { kind: SpanKind.SERVER });
  if (!(span instanceof HttpServerSpan)) throw new Error('always_on: the span records');
  span.recordRequest({
    method: 'POST',
    methodOriginal: undefined,
    path: '/articles/5f0c6a2e-8d3b-4c1a-9e7f-2b6d4a8c0e13/generate',
    scheme: 'http',
    protocolVersion: '1.1',
    serverAddress: 'opad-api',
    serverPort: 8080,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  });
  span.recordResponse(202, '/articles/:id/generate', undefined);
  span.updateName('POST /articles/:id/generate');
  span.end();
  return span;
}

const spans = requestSpans();
const shipped = shippedServerSpan();
exporter.reset();
// The mix of one request: its server span, and 1/8 of a group's publish and pg spans.
const mix: ReadableSpan[] = [...Array.from({ length: 8 }, () => spans.server), spans.publish, spans.pg];
const shippedMix: ReadableSpan[] = [...Array.from({ length: 8 }, () => shipped), spans.publish, spans.pg];
const perRequest = (nsPerSpan: number) => nsPerSpan * (1 + 2 / 8);

const writer = new ProtoWriter(1 << 20);
const encodeAll = (spans: ReadableSpan[]) => {
  for (let i = 0; i < SPANS; i++) {
    if (i % BATCH === 0) writer.reset();
    writeSpanField(writer, spans[i % spans.length]!);
  }
};
const sides = {
  opad: () => encodeAll(mix),
  shipped: () => encodeAll(shippedMix),
  sdk: () => {
    for (let i = 0; i < SPANS; i += BATCH) ProtobufTraceSerializer.serializeRequest(Array.from({ length: Math.min(BATCH, SPANS - i) }, (_, j) => mix[(i + j) % mix.length]!));
  },
};
const results: Record<keyof typeof sides, number[]> = { opad: [], shipped: [], sdk: [] };
const order: Array<keyof typeof sides> = ['opad', 'shipped', 'sdk'];
for (let round = 0; round < ROUNDS; round++) {
  for (const name of round % 2 === 0 ? order : [...order].reverse()) {
    const t = performance.now();
    sides[name]();
    results[name].push(((performance.now() - t) * 1e6) / SPANS);
  }
}
const opad = median(results.opad);
const sdk = median(results.sdk);
const shippedNs = median(results.shipped);
console.log(`
OTLP protobuf encoding, ${SPANS} spans × ${ROUNDS} rounds (medians), Node ${process.version}
| encoder                                   | ns/span | ns per ingest request |
|-------------------------------------------|--------:|----------------------:|
| SDK ProtobufTraceSerializer (512 a batch) | ${fmt(sdk, 0)} | ${fmt(perRequest(sdk), 0)} |
| OPAD span-encoder (each span as it ends)  | ${fmt(opad, 0)} | ${fmt(perRequest(opad), 0)} |
| OPAD span-encoder, the server span as shipped (HTTP attributes in slots) | ${fmt(shippedNs, 0)} | ${fmt(perRequest(shippedNs), 0)} |
OPAD / SDK: ${fmt(opad / sdk, 2)}; as shipped / SDK: ${fmt(shippedNs / sdk, 2)}
`);
await provider.shutdown();
