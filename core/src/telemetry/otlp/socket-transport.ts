import { connect, type Socket } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { diag } from '@opentelemetry/api';
import { OTLPExporterError, type ExportResponse, type IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { HttpResponseParser, type HttpResponse } from './http-response-parser.ts';

/**
 * OTLP/HTTP export to an `http:` endpoint (a collector or agent in the cluster, the usual case)
 * over a keep-alive TCP connection of our own, not Node's `http` client.
 *
 * Why: Node's HTTP client and server share their JavaScript parser callbacks and
 * `IncomingMessage` (`parserOnHeadersComplete`, `_addHeaderLine` …). In an api that only served
 * requests, V8 had compiled those for server requests; the exporter's responses reached them too
 * and deoptimized them ("wrong map"), so every inbound request then ran slower. Loaded in one run
 * (bench/tracing-overhead.ts, both apis traced), this transport gave a median round +4.8 % req/s
 * over the SDK's (docs/BENCHMARKS.md, eighteenth session). `https:` endpoints keep the SDK's
 * transport (protobuf-exporter.ts).
 *
 * What it keeps of the SDK's transport: the headers (`OTEL_EXPORTER_OTLP_*HEADERS`), gzip
 * compression, the user agent, a timeout per attempt, the 4 MB response limit, and the mapping
 * of answers — 2xx success (the body goes to the partial-success handler), 429/502/503/504 and
 * network errors retryable (with `Retry-After`), anything else a failure. Retries are
 * `withRetries` below, with the SDK's rules. One request at a time on one connection (the
 * processor exports one batch at a time anyway); a connection the collector closed while idle is
 * replaced and the request sent again once.
 */

const gzip = promisify(gzipCallback);
const USER_AGENT = 'OTel-OTLP-Exporter-JavaScript (opad socket transport)';
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

export interface SocketTransportOptions {
  /** An `http:` URL: the full OTLP path (`…/v1/traces`). */
  readonly url: string;
  readonly headers: () => Promise<Record<string, string>>;
  readonly compression: 'gzip' | 'none';
  readonly userAgent?: string;
}

/** One exchange on the connection: what the socket's listeners report to. */
interface Exchange {
  /** The connection it was sent on: events of an older connection are not its business. */
  readonly socket: Socket;
  readonly parser: HttpResponseParser;
  readonly reused: boolean;
  received: boolean;
  settle(outcome: Outcome): void;
}

type Outcome = { kind: 'response'; response: HttpResponse } | { kind: 'stale' } | { kind: 'error'; error: Error };

export function createSocketTransport(options: SocketTransportOptions): IExporterTransport {
  return new SocketTransport(options);
}

class SocketTransport implements IExporterTransport {
  private readonly options: SocketTransportOptions;
  private readonly target: URL;
  private socket: Socket | undefined;
  private current: Exchange | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: SocketTransportOptions) {
    this.options = options;
    this.target = new URL(options.url);
    if (this.target.protocol !== 'http:') throw new Error(`the socket transport speaks plain http, not ${this.target.protocol}`);
  }

  send(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const result = this.queue.then(() => this.sendNow(data, timeoutMillis));
    this.queue = result.catch(() => undefined);
    return result;
  }

  shutdown(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }

  private async sendNow(data: Uint8Array, timeoutMillis: number): Promise<ExportResponse> {
    const deadline = Date.now() + timeoutMillis;
    let request: Buffer;
    try {
      request = await this.buildRequest(data);
    } catch (error) {
      return { status: 'failure', error: error as Error };
    }
    let outcome = await this.exchange(request, deadline);
    // The collector closed the idle connection as we wrote: nothing was read, so send it again.
    if (outcome.kind === 'stale') outcome = await this.exchange(request, deadline);
    if (outcome.kind === 'stale') return { status: 'retryable', error: new Error('the OTLP endpoint closed the connection without answering') };
    if (outcome.kind === 'error') return { status: 'retryable', error: outcome.error };
    return toExportResponse(outcome.response);
  }

  private async buildRequest(data: Uint8Array): Promise<Buffer> {
    const { compression, userAgent } = this.options;
    const body = compression === 'gzip' ? await gzip(data) : data;
    const headers: Record<string, string> = { ...(await this.options.headers()) };
    headers['User-Agent'] = userAgent ? `${userAgent} ${USER_AGENT}` : USER_AGENT;
    if (compression === 'gzip') headers['Content-Encoding'] = 'gzip';
    let head = `POST ${this.target.pathname}${this.target.search} HTTP/1.1\r\nHost: ${this.target.host}\r\n`;
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (lower === 'host' || lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') continue;
      // A header from the environment must not be able to add lines to the request.
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) throw new Error(`invalid OTLP export header ${JSON.stringify(name)}`);
      head += `${name}: ${value}\r\n`;
    }
    head += `Content-Length: ${body.byteLength}\r\nConnection: keep-alive\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), body]);
  }

  private exchange(request: Buffer, deadline: number): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        resolve({ kind: 'error', error: new Error('Request timed out') });
        return;
      }
      const reused = this.socket !== undefined && !this.socket.destroyed;
      const socket = reused ? this.socket! : this.open();
      const timer = setTimeout(() => {
        this.drop(socket);
        exchange.settle({ kind: 'error', error: new Error('Request timed out') });
      }, remaining);
      const exchange: Exchange = {
        socket,
        parser: new HttpResponseParser(MAX_RESPONSE_BYTES),
        reused,
        received: false,
        settle: (outcome) => {
          if (this.current !== exchange) return;
          this.current = undefined;
          clearTimeout(timer);
          socket.unref();
          resolve(outcome);
        },
      };
      this.current = exchange;
      socket.ref(); // while a request is out; idle, the connection must not keep the process alive
      socket.write(request);
    });
  }

  private open(): Socket {
    const socket = connect({ host: this.target.hostname, port: Number(this.target.port || 80) });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('end', () => this.onEnd(socket));
    socket.on('error', (error) => this.onGone(socket, error));
    socket.on('close', () => this.onGone(socket, new Error('the OTLP endpoint closed the connection')));
    this.socket = socket;
    return socket;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    const exchange = this.current;
    if (!exchange || exchange.socket !== socket) {
      this.drop(socket); // bytes nobody asked for: the connection can no longer be trusted
      return;
    }
    exchange.received = true;
    let response: HttpResponse | undefined;
    try {
      response = exchange.parser.push(chunk);
    } catch (error) {
      this.drop(socket);
      exchange.settle({ kind: 'error', error: error as Error });
      return;
    }
    if (!response) return;
    if (!response.keepAlive || exchange.parser.hasExtraBytes()) this.drop(socket);
    exchange.settle({ kind: 'response', response });
  }

  /** The peer finished sending: a body delimited by the connection's end is complete now. */
  private onEnd(socket: Socket): void {
    const exchange = this.current?.socket === socket ? this.current : undefined;
    const response = exchange?.parser.end();
    this.drop(socket);
    if (exchange && response) exchange.settle({ kind: 'response', response });
    else this.onGone(socket, new Error('the OTLP endpoint closed the connection'));
  }

  private onGone(socket: Socket, error: Error): void {
    if (this.socket === socket) this.socket = undefined;
    const exchange = this.current;
    if (!exchange || exchange.socket !== socket) return;
    exchange.settle(exchange.reused && !exchange.received ? { kind: 'stale' } : { kind: 'error', error });
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }
}

function toExportResponse(response: HttpResponse): ExportResponse {
  const { status, statusText, headers, body } = response;
  if (status >= 200 && status <= 299) return { status: 'success', data: body };
  if (RETRYABLE_STATUS.has(status)) return { status: 'retryable', retryInMillis: parseRetryAfter(headers.get('retry-after')) };
  return { status: 'failure', error: new OTLPExporterError(statusText, status, body.toString()) };
}

/** `Retry-After` as seconds or an HTTP date (the SDK's reading of it). */
export function parseRetryAfter(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(value).getTime() - Date.now();
  return delay >= 0 ? delay : 0;
}

const MAX_ATTEMPTS = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/**
 * Retries of retryable answers within the export's timeout, by the SDK's rules (its retrying
 * transport is not exported): up to 5 more attempts, backoff from 1 s × 1.5 up to 5 s with ±20 %
 * jitter, or the answer's `Retry-After`; no retry that would end after the deadline.
 */
export function withRetries(transport: IExporterTransport, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): IExporterTransport {
  return {
    async send(data, timeoutMillis) {
      const deadline = Date.now() + timeoutMillis;
      let backoff = INITIAL_BACKOFF_MS;
      let result = await transport.send(data, timeoutMillis);
      for (let attempt = 0; attempt < MAX_ATTEMPTS && result.status === 'retryable'; attempt++) {
        const jittered = Math.max(Math.min(backoff * (1 + (Math.random() * 2 - 1) * JITTER), MAX_BACKOFF_MS), 0);
        backoff *= BACKOFF_MULTIPLIER;
        const wait = result.retryInMillis ?? jittered;
        const remaining = deadline - Date.now();
        if (wait > remaining) {
          diag.info(`OTLP export: retry in ${Math.round(wait)} ms would pass the timeout (${Math.round(remaining)} ms left); not retrying`);
          return result;
        }
        await sleep(Math.max(wait, 0));
        result = await transport.send(data, deadline - Date.now());
      }
      return result;
    },
    shutdown: () => transport.shutdown(),
  };
}
