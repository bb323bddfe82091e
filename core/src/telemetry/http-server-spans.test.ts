import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, InMemorySpanExporter, ParentBasedSampler, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import express from 'express';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expressRouteOf, HttpServerSpan, requestAttributes, startHttpServerSpans, type RequestFields } from './http-server-spans.ts';
import { PooledRandomIdGenerator } from './ids.ts';
import { LeanTracer } from './lean-tracer.ts';
import { isUntracedPath, TRACE_ID_HEADER } from './sdk.ts';

const exporter = new InMemorySpanExporter();
const spanProcessors = [new SimpleSpanProcessor({ exporter })];
const provider = new TracerProvider({ spanProcessors });
// As sdk.ts wires it: server spans from the LeanTracer, on the provider's processors and sampler (the SDK's default).
const serverTracer = new LeanTracer({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), idGenerator: new PooledRandomIdGenerator(), spanProcessors, resource: resourceFromAttributes({}), scope: { name: 'opad.http.server' } });
const contextManager = new AsyncLocalStorageContextManager();
let stop: () => void;
let server: http.Server;
let base: string;
/** The active span a handler kept past its request (as an async resource keeps its context). */
let kept: ReturnType<typeof trace.getActiveSpan>;

/** What the handler saw: the active span's ids, and whether a span started there would record. */
const seen = () => {
  const active = trace.getActiveSpan()?.spanContext();
  const probe = trace.getTracer('probe').startSpan('probe');
  const recording = probe.isRecording();
  probe.end();
  return { traceId: active?.traceId ?? null, spanId: active?.spanId ?? null, recording };
};

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  stop = startHttpServerSpans({ tracer: serverTracer, attach: (ctx) => void contextManager.attach(ctx), isUntraced: isUntracedPath, routeOf: expressRouteOf, traceIdHeader: TRACE_ID_HEADER });
  const app = express();
  app.get('/healthz', (_req, res) => void res.json(seen()));
  app.get('/things/:id', (_req, res) => void res.json(seen()));
  app.post('/things', express.json(), async (_req, res) => {
    await new Promise((r) => setTimeout(r, 5));
    res.status(201).json(seen());
  });
  app.get('/annotate', (_req, res) => {
    kept = trace.getActiveSpan();
    kept?.setAttribute('opad.test', 'set by the handler');
    // an app may overwrite what the span recorded of its request (here: redact the path)
    kept?.setAttribute('url.path', '/annotate/{redacted}');
    kept?.addEvent('handler ran');
    res.json(seen());
  });
  app.get('/boom', () => {
    throw new Error('boom');
  });
  app.get('/slow', (_req, res) => void setTimeout(() => res.end('late'), 300));
  app.use((_error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => void res.status(500).json({ error: 'boom' }));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(() => exporter.reset());
afterAll(async () => {
  stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const serverSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
const waitForSpans = async (n: number) => {
  for (let i = 0; i < 100 && serverSpans().length < n; i++) await new Promise((r) => setTimeout(r, 10));
  return serverSpans();
};

describe('inbound HTTP server spans', () => {
  it('the active span is the server span for the app while the request runs (attributes, events go to it)', async () => {
    const res = await fetch(`${base}/annotate`);
    const handler = (await res.json()) as ReturnType<typeof seen>;
    const [span] = await waitForSpans(1);
    expect(span!.attributes['opad.test']).toBe('set by the handler');
    expect(span!.attributes).toMatchObject({ 'url.path': '/annotate/{redacted}', 'http.request.method': 'GET', 'http.response.status_code': 200 });
    expect(span!.events.map((e) => e.name)).toEqual(['handler ran']);
    expect(handler.spanId).toBe(span!.spanContext().spanId);
    // after the response: the same ids, nothing recorded any more
    expect(kept!.isRecording()).toBe(false);
    expect(kept!.spanContext()).toEqual(span!.spanContext());
    kept!.setAttribute('opad.late', 'ignored').setStatus({ code: SpanStatusCode.ERROR }).end();
    expect(span!.attributes['opad.late']).toBeUndefined();
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('one SERVER span per request, named by the matched route, active in the handler', async () => {
    const res = await fetch(`${base}/things/42?x=1`, { headers: { 'user-agent': 'opad-test' } });
    const handler = (await res.json()) as ReturnType<typeof seen>;
    const [span] = await waitForSpans(1);
    expect(span!.name).toBe('GET /things/:id');
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/things/:id',
      'url.path': '/things/42',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'user_agent.original': 'opad-test',
      'network.protocol.version': '1.1',
    });
    expect(span!.attributes['url.path']).not.toContain('x=1'); // no query string: it may carry anything
    // the caller's address is personal data: neither the socket's peer nor any other address is kept
    expect(Object.keys(span!.attributes).filter((k) => k.startsWith('client.') || k.startsWith('network.peer.'))).toEqual([]);
    expect(span!.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(handler).toMatchObject({ traceId: span!.spanContext().traceId, spanId: span!.spanContext().spanId, recording: true });
    expect(res.headers.get('x-trace-id')).toBe(span!.spanContext().traceId);
  });

  it("continues the caller's traceparent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await (await fetch(`${base}/things/1`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })).text();
    const [span] = await waitForSpans(1);
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
  });

  it('keeps the context when the body arrives after the headers, and apart between requests of one connection', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const post = () =>
      new Promise<ReturnType<typeof seen>>((resolve, reject) => {
        const body = JSON.stringify({ n: 1 });
        const req = http.request(`${base}/things`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve(JSON.parse(text) as ReturnType<typeof seen>));
        });
        req.on('error', reject);
        req.flushHeaders();
        setTimeout(() => req.end(body), 30); // a read of its own, later than the request event
      });
    const first = await post();
    const second = await post();
    agent.destroy();
    const spans = await waitForSpans(2);
    expect(spans.map((s) => s.name)).toEqual(['POST /things', 'POST /things']);
    expect([first.spanId, second.spanId]).toEqual(spans.map((s) => s.spanContext().spanId));
    expect(second.traceId).not.toBe(first.traceId);
    expect(spans[1]!.parentSpanContext).toBeUndefined();
  });

  it("a caller's unsampled traceparent: the handler keeps the caller's trace, and nothing is recorded", async () => {
    const traceId = 'a'.repeat(32);
    const res = await fetch(`${base}/things/7`, { headers: { traceparent: `00-${traceId}-${'b'.repeat(16)}-00` } });
    const body = (await res.json()) as ReturnType<typeof seen>;
    expect(body.traceId).toBe(traceId);
    expect(body.recording).toBe(false);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(res.headers.get('x-trace-id')).toBe(traceId); // still quotable: the logs carry it
  });

  it('traces no probe, and nothing started while answering one records', async () => {
    const probe = await fetch(`${base}/healthz`);
    expect(probe.headers.get('x-trace-id')).toBeNull();
    const handler = (await probe.json()) as ReturnType<typeof seen>;
    await (await fetch(`${base}/things/7`)).text();
    const spans = await waitForSpans(1);
    expect(spans.map((s) => s.attributes['url.path'])).toEqual(['/things/7']);
    expect(handler).toMatchObject({ traceId: null, recording: false });
  });

  it('a 5xx is an error of the span; a 404 is not, and names no route', async () => {
    expect((await fetch(`${base}/boom`)).status).toBe(500);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    const [boom, nowhere] = await waitForSpans(2);
    expect(boom!.name).toBe('GET /boom');
    expect(boom!.status.code).toBe(SpanStatusCode.ERROR);
    expect(boom!.attributes['error.type']).toBe('500');
    expect(nowhere!.name).toBe('GET');
    expect(nowhere!.attributes['http.route']).toBeUndefined();
    expect(nowhere!.status.code).not.toBe(SpanStatusCode.ERROR);
  });

  it('a request the client gave up on ends its span as aborted', async () => {
    await fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) }).catch(() => undefined);
    const [span] = await waitForSpans(1);
    expect(span!.attributes['error.type']).toBe('aborted');
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('isUntracedPath', () => {
  it('skips probes, metrics scrapes and static assets, and nothing that only looks like them', () => {
    const untraced = ['/healthz', '/healthz?verbose=1', '/readyz', '/livez/', '/metrics', '/build/entry.client-1.js', '/assets/app.css', '/favicon.ico'];
    const traced = ['/healthzz', '/metricsx', '/api/healthz', '/build', '/assetsx/a.css', '/articles/1/generate', '/', undefined];
    expect(untraced.filter((url) => !isUntracedPath(url))).toEqual([]);
    expect(traced.filter((url) => isUntracedPath(url))).toEqual([]);
  });
});

describe('HttpServerSpan (the server span of the LeanTracer)', () => {
  const fields: RequestFields = { method: 'POST', methodOriginal: undefined, path: '/articles/1/generate', scheme: 'http', protocolVersion: '1.1', serverAddress: 'api', serverPort: 3000, userAgent: 'opad-test' };

  /** The same writes on a span of the SDK's tracer and on an HttpServerSpan, whose own go to its slots. */
  function both(appWrites: (span: Span) => void, response: { status: number; route?: string; errorType?: string }) {
    const memory = new InMemorySpanExporter();
    const processors = [new SimpleSpanProcessor({ exporter: memory })];
    const sdk = new TracerProvider({ spanProcessors: processors }).getTracer('opad.http.server');
    const lean = new LeanTracer({ sampler: new AlwaysOnSampler(), idGenerator: new PooledRandomIdGenerator(), spanProcessors: processors, resource: resourceFromAttributes({}), scope: { name: 'opad.http.server' } });

    const a = sdk.startSpan('POST', { kind: SpanKind.SERVER });
    a.setAttributes(requestAttributes(fields)); // what a span from the SDK's tracer gets
    appWrites(a);
    a.setAttribute('http.response.status_code', response.status);
    if (response.route) a.setAttribute('http.route', response.route);
    if (response.errorType) a.setAttribute('error.type', response.errorType);
    a.end();

    const b = lean.startSpanWith((init) => new HttpServerSpan(init), 'POST', { kind: SpanKind.SERVER });
    if (!(b instanceof HttpServerSpan)) throw new Error('always_on: the span records');
    b.recordRequest(fields);
    appWrites(b);
    b.recordResponse(response.status, response.route, response.errorType);
    b.end();
    const [fromSdk, fromLean] = memory.getFinishedSpans();
    return { fromSdk: fromSdk!, fromLean: fromLean! };
  }

  it('holds what an SDK span holds after the same writes: the last write of a key wins, whoever made it', () => {
    const { fromSdk, fromLean } = both((span) => {
      span.setAttribute('url.path', '/articles/{redacted}/generate'); // the app overwrites a recorded one
      span.setAttribute('http.route', '/set-by-the-app'); // …and sets one recorded later, which then wins
      span.setAttribute('server.port', 'now a string');
      span.setAttribute('url.scheme', undefined as never); // invalid: the recorded value stays
      span.setAttribute('opad.own', 1);
    }, { status: 503, route: '/articles/:id/generate', errorType: '503' });
    expect(fromLean.attributes).toEqual(fromSdk.attributes);
    expect(fromLean.attributes).toMatchObject({ 'http.request.method': 'POST', 'network.protocol.version': '1.1', 'server.address': 'api', 'user_agent.original': 'opad-test', 'http.response.status_code': 503 });
    expect(fromLean.attributes).toMatchObject({ 'url.path': '/articles/{redacted}/generate', 'http.route': '/articles/:id/generate', 'server.port': 'now a string', 'url.scheme': 'http', 'error.type': '503', 'opad.own': 1 });
    expect(fromLean.droppedAttributesCount).toBe(0);
  });

  it('counts its recorded attributes against the SDK’s limit (128) as the SDK does', () => {
    const { fromSdk, fromLean } = both((span) => {
      for (let i = 0; i < 125; i++) span.setAttribute(`opad.extra.${i}`, i);
      span.setAttribute('http.route', '/set-by-the-app'); // an existing key is overwritten even at the limit
    }, { status: 500, route: '/articles/:id/generate', errorType: '500' });
    expect(Object.keys(fromLean.attributes)).toHaveLength(128);
    expect(fromLean.attributes).toEqual(fromSdk.attributes);
    expect(fromLean.droppedAttributesCount).toBe(fromSdk.droppedAttributesCount);
    expect(fromLean.droppedAttributesCount).toBeGreaterThan(0);
  });
});
