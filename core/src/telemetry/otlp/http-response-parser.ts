/**
 * An HTTP/1.1 response read from raw socket bytes (RFC 9112): the status line, the header fields,
 * and the body by `Content-Length`, by chunked transfer coding, or up to the connection's end.
 * Only what an OTLP export needs to read its answer (socket-transport.ts); 1xx interim responses
 * are skipped.
 */

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  /** Field names in lower case; repeated fields joined with ", ". */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  /** Whether the connection may carry the next request. */
  readonly keepAlive: boolean;
}

interface Head {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Map<string, string>;
  readonly keepAlive: boolean;
  readonly framing: { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEAD_BYTES = 64 * 1024;
const EMPTY = Buffer.alloc(0);

export class HttpResponseParser {
  private readonly maxBodyBytes: number;
  private pending: Buffer = EMPTY;
  private head: Head | undefined;
  private readonly chunks: Buffer[] = [];
  private bodyBytes = 0;
  /** Chunked coding: bytes of the current chunk still to read (then its CRLF), or -1 between chunks. */
  private chunkLeft = -1;
  private trailers = false;

  constructor(maxBodyBytes: number) {
    this.maxBodyBytes = maxBodyBytes;
  }

  /** Feeds bytes; answers the response once it is complete. Throws on a malformed or oversized response. */
  push(bytes: Buffer): HttpResponse | undefined {
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    for (;;) {
      if (!this.head) {
        const end = this.pending.indexOf(HEADER_END);
        if (end === -1) {
          if (this.pending.length > MAX_HEAD_BYTES) throw new Error('the OTLP endpoint sent an oversized response head');
          return undefined;
        }
        const head = parseHead(this.pending.subarray(0, end).toString('latin1'));
        this.pending = this.pending.subarray(end + HEADER_END.length);
        if (head.status < 200) continue; // 100 Continue and other interim responses
        this.head = head;
      }
      return this.readBody(this.head);
    }
  }

  /** The connection ended: a body delimited by the end is complete; anything else is cut short. */
  end(): HttpResponse | undefined {
    if (this.head?.framing.kind !== 'close') return undefined;
    this.take(this.pending);
    this.pending = EMPTY;
    return this.finish(this.head);
  }

  /** Bytes after the response (a server that pipelined something unasked). */
  hasExtraBytes(): boolean {
    return this.pending.length > 0;
  }

  private readBody(head: Head): HttpResponse | undefined {
    const { framing } = head;
    if (framing.kind === 'close') {
      this.take(this.pending);
      this.pending = EMPTY;
      return undefined;
    }
    if (framing.kind === 'length') {
      const need = framing.length - this.bodyBytes;
      this.take(this.pending.subarray(0, need));
      this.pending = this.pending.subarray(Math.min(need, this.pending.length));
      return this.bodyBytes === framing.length ? this.finish(head) : undefined;
    }
    for (;;) {
      if (this.trailers) {
        // Trailer fields end with an empty line; OTLP needs none of them.
        const end = this.pending.indexOf(CRLF);
        if (end === -1) return undefined;
        this.pending = this.pending.subarray(end + CRLF.length);
        if (end === 0) return this.finish(head);
        continue;
      }
      if (this.chunkLeft === -1) {
        const end = this.pending.indexOf(CRLF);
        if (end === -1) return undefined;
        const size = Number.parseInt(this.pending.subarray(0, end).toString('latin1').split(';')[0]!.trim(), 16);
        if (!Number.isInteger(size) || size < 0) throw new Error('the OTLP endpoint sent a malformed chunked body');
        this.pending = this.pending.subarray(end + CRLF.length);
        if (size === 0) {
          this.trailers = true;
          continue;
        }
        this.chunkLeft = size;
      }
      if (this.chunkLeft > 0) {
        const part = this.pending.subarray(0, this.chunkLeft);
        this.take(part);
        this.chunkLeft -= part.length;
        this.pending = this.pending.subarray(part.length);
        if (this.chunkLeft > 0) return undefined;
      }
      if (this.pending.length < CRLF.length) return undefined; // the CRLF after the chunk's data
      if (this.pending[0] !== 0x0d || this.pending[1] !== 0x0a) throw new Error('the OTLP endpoint sent a malformed chunked body');
      this.pending = this.pending.subarray(CRLF.length);
      this.chunkLeft = -1;
    }
  }

  private take(part: Buffer): void {
    if (part.length === 0) return;
    this.bodyBytes += part.length;
    if (this.bodyBytes > this.maxBodyBytes) throw new Error(`the OTLP endpoint's response body exceeded ${this.maxBodyBytes} bytes`);
    this.chunks.push(Buffer.from(part)); // a copy: `pending` may be a view of a reused socket buffer
  }

  private finish(head: Head): HttpResponse {
    return { status: head.status, statusText: head.statusText, headers: head.headers, body: Buffer.concat(this.chunks), keepAlive: head.keepAlive };
  }
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const statusLine = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!statusLine) throw new Error(`the OTLP endpoint did not answer in HTTP/1.x: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error('the OTLP endpoint sent a malformed header line');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  const status = Number(statusLine[2]);
  const connection = (headers.get('connection') ?? '').toLowerCase();
  const keepAlive = statusLine[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  const transferEncoding = (headers.get('transfer-encoding') ?? '').toLowerCase();
  const contentLength = headers.get('content-length');
  let framing: Head['framing'];
  if (status === 204 || status === 304) framing = { kind: 'length', length: 0 };
  else if (transferEncoding.endsWith('chunked')) framing = { kind: 'chunked' };
  else if (contentLength !== undefined) {
    const length = Number(contentLength);
    if (!Number.isInteger(length) || length < 0 || !/^\d+$/.test(contentLength)) throw new Error('the OTLP endpoint sent an invalid Content-Length');
    framing = { kind: 'length', length };
  } else framing = { kind: 'close' };
  return { status, statusText: statusLine[3] ?? '', headers, keepAlive: keepAlive && framing.kind !== 'close', framing };
}
