import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHttpServerSpans } from './http-server-spans.ts';
import { PooledRandomIdGenerator } from './ids.ts';
import { LeanTracer } from './lean-tracer.ts';

/**
 * A request's context outlives the request (whatever async resource it created or re-armed keeps
 * it: a keep-alive socket's timers, its next read), so it must not keep the ended server span —
 * its attributes, times and name — alive with it (see ReleasingSpan in http-server-spans.ts).
 * The span processor here keeps nothing but weak references, as the OTLP one keeps only bytes.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const ended: Array<WeakRef<ReadableSpan>> = [];
const weakProcessor: SpanProcessor = {
  onStart: () => undefined,
  onEnd: (span) => void ended.push(new WeakRef(span)),
  forceFlush: async () => undefined,
  shutdown: async () => undefined,
};
// The tracer sdk.ts gives the server spans.
const tracer = new LeanTracer({ sampler: new AlwaysOnSampler(), idGenerator: new PooledRandomIdGenerator(), spanProcessors: [weakProcessor], resource: resourceFromAttributes({}), scope: { name: 'opad.http.server' } });
const contextManager = new AsyncLocalStorageContextManager();
let stop: () => void;
let server: http.Server;
let kept: Span | undefined;

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  stop = startHttpServerSpans({ tracer, attach: (ctx) => void contextManager.attach(ctx), isUntraced: () => false, routeOf: () => undefined });
  server = http.createServer((_req, res) => {
    kept = trace.getActiveSpan(); // what a lingering context holds
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
});
afterAll(async () => {
  stop();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  context.disable();
});

it("an ended server span is garbage even while its request's context is still held", async () => {
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`);
  await res.text();
  for (let i = 0; i < 100 && ended.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(ended).toHaveLength(1);
  expect(kept?.spanContext().spanId).toBeDefined();
  for (let i = 0; i < 5 && ended[0]!.deref() !== undefined; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
  expect(ended[0]!.deref()).toBeUndefined();
  // the context still answers with the span's ids (a deferred operation may link to them)
  expect(kept!.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
});
