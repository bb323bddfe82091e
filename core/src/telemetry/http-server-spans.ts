import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  context,
  INVALID_TRACEID,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type AttributeValue,
  type Attributes,
  type Context,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanStatus,
  type TimeInput,
  type Tracer,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { SlottedLeanSpan, type LeanSpanInit, type LeanTracer } from './lean-tracer.ts';
import { LINKED_ROOT } from './linked-context.ts';

/**
 * Server spans for inbound HTTP requests, one per request, with the stable HTTP semantic
 * conventions (`http.request.method`, `url.path`, `http.route`, `http.response.status_code`…),
 * the caller's `traceparent` as parent, and the span active while the app handles the request.
 *
 * Why not the inbound side of `@opentelemetry/instrumentation-http` (its outbound side is still
 * used): on the api's ingest request it cost ~130 µs of CPU a request on our 2-core machine —
 * a patched `Server#emit`, both `req` and `res` bound to the context (every method of both
 * emitters wrapped, every listener wrapped), a dozen attributes computed through URL parsing and
 * header walks, a duration metric — which turned the untraced api (~180 µs a request, waiting on
 * its grouped commits) into a CPU-bound one. This takes Node's own `http.server.request.start`
 * diagnostics channel, published just before the server emits `request`, so nothing is patched.
 *
 * The span is made active with the context manager's `attach` (AsyncLocalStorage.enterWith):
 * the channel's subscriber runs in the same synchronous stretch as the `request` event, so the
 * handler and every promise it creates see it. Body events (`data`, `end`) come from later reads
 * of the socket. On Node 24 they were seen to keep the context even without help (a body sent
 * 50 ms after its headers, in the tests), but that is not a documented guarantee: the request
 * emitter is bound to the context, so a body parser's continuation (Express's `json()` → the
 * route) stays in the trace either way. Only requests with a body are bound (a bodyless one, like
 * the ingest POST, has no body events, and binding wraps every listener: ~1.6 KB of garbage a
 * request). The response needs no binding.
 *
 * The response gets the trace id in a header (`x-trace-id`) here, where the span is at hand, so a
 * user can quote it in a bug report. Every traced request of every service gets it, sampled or
 * not (a sampled-out trace id still finds the logs, which carry it).
 */

export interface HttpServerSpanOptions {
  /** The SDK's tracer, or the LeanTracer that sdk.ts gives it (lean-tracer.ts: then the spans are HttpServerSpans). */
  readonly tracer: Pick<Tracer, 'startSpan'> & Partial<Pick<LeanTracer, 'startSpanWith'>>;
  /** Makes `ctx` the active context for the rest of the current synchronous execution. */
  readonly attach: (ctx: Context) => void;
  /** Requests never traced (probes, metrics, static assets): run with tracing suppressed. */
  readonly isUntraced: (url: string | undefined) => boolean;
  /** The route template the app matched, read when the response is done (names the span). */
  readonly routeOf: (request: IncomingMessage) => string | undefined;
  /** The response header that carries the request's trace id (none if undefined). */
  readonly traceIdHeader?: string;
}

/**
 * The route template Express matched (`/articles/:id/generate`), read off the request when the
 * response is done: it names the server span (`POST /articles/:id/generate`) and becomes
 * `http.route`. The web's server hands every request to Remix through a catch-all route, which
 * names nothing: its server spans keep the method as their name, and the Remix instrumentation's
 * loader/action spans name the route.
 */
export function expressRouteOf(request: object): string | undefined {
  const { route, baseUrl } = request as { route?: { path?: unknown }; baseUrl?: unknown };
  const path = route?.path;
  if (typeof path !== 'string' || path === '*' || path === '/*') return undefined;
  return typeof baseUrl === 'string' ? `${baseUrl}${path}` : path;
}

interface RequestStart {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE', 'QUERY']);
const CHANNEL = 'http.server.request.start';
const SERVER_SPAN = Object.freeze({ kind: SpanKind.SERVER });

/** Starts tracing inbound requests of every `http`/`https` server in the process; returns a stop function. */
export function startHttpServerSpans(options: HttpServerSpanOptions): () => void {
  const untracedContext = suppressTracing(ROOT_CONTEXT);
  const onRequestStart = (message: unknown): void => {
    const { request, response } = message as RequestStart;
    if (options.isUntraced(request.url)) {
      // Also clears whatever context the socket's callback carried (a pipelined request's).
      options.attach(untracedContext);
      return;
    }
    // Built on the linked root: the request's contexts then add entries without copying (linked-context.ts).
    const parent = propagation.extract(LINKED_ROOT, request.headers);
    const method = request.method !== undefined && KNOWN_METHODS.has(request.method) ? request.method : '_OTHER';
    // The attributes are set after the start, not passed to it: the SDK validates start
    // attributes twice (before and after sampling; a WeakSet and an entries array per value each
    // time), which was a quarter of the memory tracing allocated per ingest request. Our
    // samplers (the OTEL_TRACES_SAMPLER built-ins) do not read attributes.
    const span = options.tracer.startSpanWith
      ? options.tracer.startSpanWith(httpServerSpan, method, SERVER_SPAN, parent)
      : options.tracer.startSpan(method, SERVER_SPAN, parent);
    const recording = span.isRecording(); // false when sampled out: then only its context travels
    if (options.traceIdHeader !== undefined) {
      // The SDK's ids are well-formed; only a no-op tracer's span has the all-zero id.
      const { traceId } = span.spanContext();
      if (traceId !== INVALID_TRACEID) response.setHeader(options.traceIdHeader, traceId);
    }
    if (recording) {
      const fields = readRequest(request, method);
      if (span instanceof HttpServerSpan) span.recordRequest(fields);
      else span.setAttributes(requestAttributes(fields));
    }
    // A recorded span goes into the context behind a handle that lets it go once it has ended.
    const handle = recording ? new ReleasingSpan(span) : undefined;
    const active = trace.setSpan(parent, handle ?? span);
    options.attach(active);
    if (hasBody(request)) context.bind(active, request);
    if (handle) {
      // `on`, not `once`: a response closes once, and `once` would wrap the listener for nothing.
      response.on('close', () => {
        endServerSpan(span, method, request, response, options.routeOf);
        handle.release();
      });
    }
  };
  subscribe(CHANNEL, onRequestStart);
  return () => unsubscribe(CHANNEL, onRequestStart);
}

/**
 * What the request's context holds in place of the SDK's span: the same span for the app (ids,
 * attributes, events, status, end) until the response is done, then only its ids.
 *
 * Why: the context outlives its request. Whatever async resource the request created or re-armed
 * (a keep-alive connection's timers, its socket's next read) keeps the context it started in
 * until the next request on that connection replaces it, so with the SDK's span in the context
 * every ended span — its attributes, times and name — stayed reachable for as long as its
 * connection was idle, long enough to survive young-generation collections and be promoted to
 * the old generation. The V8 sampling heap profiler (objects that reached the old generation and
 * died there, ingest at a fixed 3 000 req/s) put the ended server spans at ~390 of the traced api's
 * 2 328 such bytes a request (untraced: 1 914), the largest difference between the two; with the
 * handle, 2 044.
 */
class ReleasingSpan implements Span {
  private span: Span | undefined;
  private readonly ids: SpanContext;

  constructor(span: Span) {
    this.span = span;
    this.ids = span.spanContext();
  }

  /** The span has ended: let it go (a span that has ended records nothing more anyway). */
  release(): void {
    this.span = undefined;
  }

  spanContext(): SpanContext {
    return this.ids;
  }

  isRecording(): boolean {
    return this.span?.isRecording() ?? false;
  }

  setAttribute(key: string, value: AttributeValue): this {
    this.span?.setAttribute(key, value);
    return this;
  }

  setAttributes(attributes: Attributes): this {
    this.span?.setAttributes(attributes);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    this.span?.addEvent(name, attributesOrStartTime, startTime);
    return this;
  }

  addLink(link: Link): this {
    this.span?.addLink(link);
    return this;
  }

  addLinks(links: Link[]): this {
    this.span?.addLinks(links);
    return this;
  }

  setStatus(status: SpanStatus): this {
    this.span?.setStatus(status);
    return this;
  }

  updateName(name: string): this {
    this.span?.updateName(name);
    return this;
  }

  end(endTime?: TimeInput): void {
    this.span?.end(endTime);
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.span?.recordException(exception, time);
  }
}

/** A body is coming (RFC 9112 §6.3): its events are the ones the request binding is for. */
function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** What a server span records of its request (HTTP semantic conventions). */
export interface RequestFields {
  readonly method: string;
  readonly methodOriginal: string | undefined;
  readonly path: string;
  readonly scheme: string;
  readonly protocolVersion: string;
  readonly serverAddress: string | undefined;
  readonly serverPort: number | undefined;
  readonly userAgent: string | undefined;
}

function readRequest(request: IncomingMessage, method: string): RequestFields {
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const host = request.headers.host;
  // host[:port], or [v6]:port
  const colon = host ? host.lastIndexOf(':') : -1;
  const hasPort = host !== undefined && colon > host.lastIndexOf(']');
  return {
    method,
    methodOriginal: method === '_OTHER' ? request.method : undefined,
    path: query === -1 ? url : url.slice(0, query),
    scheme: (request.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http',
    protocolVersion: request.httpVersion,
    serverAddress: host ? (hasPort ? host.slice(0, colon) : host) : undefined,
    serverPort: host && hasPort ? Number(host.slice(colon + 1)) : undefined,
    // No `client.address`: a caller's IP address is personal data (no attribute carries any), and
    // behind an ingress the socket's peer is the proxy, not the client the convention means.
    userAgent: request.headers['user-agent'] || undefined,
  };
}

/** The request's attributes for a span from another tracer (the SDK's), in the slots' order. */
export function requestAttributes(fields: RequestFields): Attributes {
  const attributes: Attributes = {
    'http.request.method': fields.method,
    'url.path': fields.path,
    'url.scheme': fields.scheme,
    'network.protocol.version': fields.protocolVersion,
  };
  if (fields.methodOriginal !== undefined) attributes['http.request.method_original'] = fields.methodOriginal;
  if (fields.serverAddress !== undefined) attributes['server.address'] = fields.serverAddress;
  if (fields.serverPort !== undefined) attributes['server.port'] = fields.serverPort;
  if (fields.userAgent !== undefined) attributes['user_agent.original'] = fields.userAgent;
  return attributes;
}

/** HttpServerSpan's slots: the attributes every server span sets, in the order it sets them. */
const SLOT_KEYS = [
  'http.request.method',
  'url.path',
  'url.scheme',
  'network.protocol.version',
  'http.request.method_original',
  'server.address',
  'server.port',
  'user_agent.original',
  'http.response.status_code',
  'http.route',
  'error.type',
] as const;

/**
 * The LeanTracer's server span: the HTTP attributes in slots (lean-tracer.ts's SlottedLeanSpan
 * says why), everything else — the app's own attributes, events, status — as on any span.
 */
export class HttpServerSpan extends SlottedLeanSpan {
  constructor(init: LeanSpanInit) {
    super(init, SLOT_KEYS);
  }

  recordRequest(fields: RequestFields): void {
    this.setSlot(0, fields.method);
    this.setSlot(1, fields.path);
    this.setSlot(2, fields.scheme);
    this.setSlot(3, fields.protocolVersion);
    this.setSlot(4, fields.methodOriginal);
    this.setSlot(5, fields.serverAddress);
    this.setSlot(6, fields.serverPort);
    this.setSlot(7, fields.userAgent);
  }

  recordResponse(statusCode: number, route: string | undefined, errorType: string | undefined): void {
    this.setSlot(8, statusCode);
    this.setSlot(9, route);
    this.setSlot(10, errorType);
  }
}

const httpServerSpan = (init: LeanSpanInit): HttpServerSpan => new HttpServerSpan(init);

function endServerSpan(span: Span, method: string, request: IncomingMessage, response: ServerResponse, routeOf: (request: IncomingMessage) => string | undefined): void {
  const status = response.statusCode;
  const route = routeOf(request);
  if (route !== undefined) span.updateName(`${method} ${route}`);
  // Server spans: 5xx is an error, 4xx is the client's (semantic conventions).
  const aborted = status < 500 && !response.writableFinished;
  const errorType = status >= 500 ? String(status) : aborted ? 'aborted' : undefined;
  if (span instanceof HttpServerSpan) span.recordResponse(status, route, errorType);
  else {
    span.setAttribute('http.response.status_code', status);
    if (route !== undefined) span.setAttribute('http.route', route);
    if (errorType !== undefined) span.setAttribute('error.type', errorType);
  }
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  else if (aborted) span.setStatus({ code: SpanStatusCode.ERROR, message: 'the connection closed before the response was sent' });
  span.end();
}
