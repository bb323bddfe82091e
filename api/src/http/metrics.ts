import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry, collectDefaultMetrics, Histogram, Counter } from 'prom-client';
import type { RequestHandler } from 'express';

export interface HttpMetrics {
  registry: Registry;
  middleware: RequestHandler;
  generateRequests: Counter<'outcome'>;
}

type DurationHistogram = Histogram<'method' | 'route' | 'status'>;

/** What the middleware leaves on a request for the response's end: when it started, and where it is counted. */
const STARTED = Symbol('opad.metrics.started');
const HISTOGRAM = Symbol('opad.metrics.histogram');
interface TimedRequest extends IncomingMessage {
  [STARTED]?: number;
  [HISTOGRAM]?: DurationHistogram;
  route?: { path?: unknown };
  baseUrl?: string;
}

/**
 * Request durations are observed when Node publishes a response's end on the
 * `http.server.response.finish` diagnostics channel, not from a `finish` listener of each
 * response. Why: Node already listens to `finish` on every response, so a second listener turns
 * the response's listener slot into a two-element array, made at one allocation site in Node's
 * `events.js` that every emitter in the process shares. When V8 sees most of that site's arrays
 * survive a young-generation collection (long-lived sockets' and clients' arrays are made there
 * too), it allocates all of them straight in the old generation — and then each response's
 * array, old and dead, kept its listeners and through them the whole request (headers, Express's
 * state, the span) alive past every young collection, until the next full one. An api process
 * that fell into this ran ~3× the major collections and 40–80 % more CPU a request for as long
 * as it lived: one process in three to one in ten under bench/tracing-overhead.ts, traced or not
 * when the site was provoked (docs/BENCHMARKS.md, thirteenth session).
 *
 * One subscriber for the process; a request is counted by the app whose middleware stamped it.
 */
let subscribed = false;
function observeFinishedResponses(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('http.server.response.finish', (message) => {
    const { request, response } = message as { request: TimedRequest; response: ServerResponse };
    const histogram = request[HISTOGRAM];
    const started = request[STARTED];
    if (histogram === undefined || started === undefined) return;
    // The route template (not the raw path) keeps label cardinality bounded.
    const path = request.route?.path;
    const route = path ? `${request.baseUrl ?? ''}${String(path)}` : 'unmatched';
    histogram.observe({ method: request.method ?? '', route, status: String(response.statusCode) }, (performance.now() - started) / 1000);
  });
}

/** Prometheus metrics: process defaults plus request durations labelled by route template. */
export function createHttpMetrics(): HttpMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'opad-api' });
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const generateRequests = new Counter({
    name: 'opad_generate_requests_total',
    help: 'POST /articles/:id/generate by outcome (created, existing, queue_unavailable)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  observeFinishedResponses();
  const middleware: RequestHandler = (req, _res, next) => {
    const timed = req as TimedRequest;
    timed[STARTED] = performance.now();
    timed[HISTOGRAM] = duration;
    next();
  };
  return { registry, middleware, generateRequests };
}
