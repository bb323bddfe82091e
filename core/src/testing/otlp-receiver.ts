import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { waitFor } from './ports.ts';

/**
 * An OTLP/HTTP trace receiver for tests: it listens on a free port, accepts
 * `POST /v1/traces` in both OTLP encodings (`application/x-protobuf`, the exporters' default,
 * and `application/json`), gzip or not, and keeps the spans as a flat list.
 *
 * Point a process at it with `OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url`.
 */

export type AttributeValue = string | number | boolean | AttributeValue[] | { [key: string]: AttributeValue } | null;
export type Attributes = Record<string, AttributeValue>;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly serviceName: string;
  readonly resource: Attributes;
  readonly scope: string;
  readonly attributes: Attributes;
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string };
  readonly events: ReadonlyArray<{ readonly name: string; readonly timeMs: number; readonly attributes: Attributes }>;
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string; readonly attributes: Attributes }>;
  readonly startMs: number;
  readonly endMs: number;
}

export const SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface OtlpReceiver {
  /** Base endpoint, e.g. `http://127.0.0.1:43121` (the exporter appends `/v1/traces`). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** Export requests received (any encoding). */
  readonly requests: () => number;
  /** Bytes of export payloads received (after gunzip). */
  readonly bytes: () => number;
  /** TCP connections accepted: with keep-alive working, one per exporter, not one per export. */
  readonly connections: () => number;
  waitForSpans(predicate: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number, what?: string): Promise<ReceivedSpan[]>;
  clear(): void;
  close(): Promise<void>;
}

// ---- protobuf wire format (just what opentelemetry/proto/collector/trace/v1 needs) ----

interface Field {
  readonly no: number;
  readonly wire: number;
  /** varint (as bigint), fixed64 (bigint), fixed32 (number), or a length-delimited slice. */
  readonly value: bigint | number | Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function* fields(buf: Uint8Array): Generator<Field> {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  while (pos < buf.length) {
    const [tag, p] = readVarint(buf, pos);
    pos = p;
    const no = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const [v, q] = readVarint(buf, pos);
      pos = q;
      yield { no, wire, value: v };
    } else if (wire === 1) {
      yield { no, wire, value: view.getBigUint64(pos, true) };
      pos += 8;
    } else if (wire === 2) {
      const [len, q] = readVarint(buf, pos);
      const end = q + Number(len);
      if (end > buf.length) throw new Error('protobuf: truncated field');
      yield { no, wire, value: buf.subarray(q, end) };
      pos = end;
    } else if (wire === 5) {
      yield { no, wire, value: view.getUint32(pos, true) };
      pos += 4;
    } else {
      throw new Error(`protobuf: unsupported wire type ${wire}`);
    }
  }
}

const utf8 = new TextDecoder();
const str = (v: Field['value']): string => utf8.decode(v as Uint8Array);
const hex = (v: Field['value']): string => Buffer.from(v as Uint8Array).toString('hex');
const nanosToMs = (v: bigint): number => Number(v / 1000n) / 1000;
const asInt64 = (v: bigint): number => Number(BigInt.asIntN(64, v));

function pbAnyValue(buf: Uint8Array): AttributeValue {
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        return str(f.value);
      case 2:
        return f.value !== 0n;
      case 3:
        return asInt64(f.value as bigint);
      case 4:
        return new DataView(new BigUint64Array([f.value as bigint]).buffer).getFloat64(0, true);
      case 5: {
        const out: AttributeValue[] = [];
        for (const g of fields(f.value as Uint8Array)) if (g.no === 1) out.push(pbAnyValue(g.value as Uint8Array));
        return out;
      }
      case 6:
        return pbKeyValues([...fields(f.value as Uint8Array)].filter((g) => g.no === 1).map((g) => g.value as Uint8Array));
      case 7:
        return hex(f.value);
    }
  }
  return null;
}

function pbKeyValues(list: Uint8Array[]): Attributes {
  const out: Attributes = {};
  for (const kv of list) {
    let key = '';
    let value: AttributeValue = null;
    for (const f of fields(kv)) {
      if (f.no === 1) key = str(f.value);
      else if (f.no === 2) value = pbAnyValue(f.value as Uint8Array);
    }
    out[key] = value;
  }
  return out;
}

function pbSpan(buf: Uint8Array, resource: Attributes, scope: string): ReceivedSpan {
  let traceId = '';
  let spanId = '';
  let parentSpanId = '';
  let name = '';
  let kind = 0;
  let start = 0n;
  let end = 0n;
  const attrs: Uint8Array[] = [];
  const events: ReceivedSpan['events'][number][] = [];
  const links: ReceivedSpan['links'][number][] = [];
  let status = { code: 0, message: '' };
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1: traceId = hex(f.value); break;
      case 2: spanId = hex(f.value); break;
      case 4: parentSpanId = hex(f.value); break;
      case 5: name = str(f.value); break;
      case 6: kind = Number(f.value); break;
      case 7: start = f.value as bigint; break;
      case 8: end = f.value as bigint; break;
      case 9: attrs.push(f.value as Uint8Array); break;
      case 11: {
        let ename = '';
        let time = 0n;
        const eattrs: Uint8Array[] = [];
        for (const g of fields(f.value as Uint8Array)) {
          if (g.no === 1) time = g.value as bigint;
          else if (g.no === 2) ename = str(g.value);
          else if (g.no === 3) eattrs.push(g.value as Uint8Array);
        }
        events.push({ name: ename, timeMs: nanosToMs(time), attributes: pbKeyValues(eattrs) });
        break;
      }
      case 13: {
        let ltrace = '';
        let lspan = '';
        const lattrs: Uint8Array[] = [];
        for (const g of fields(f.value as Uint8Array)) {
          if (g.no === 1) ltrace = hex(g.value);
          else if (g.no === 2) lspan = hex(g.value);
          else if (g.no === 4) lattrs.push(g.value as Uint8Array);
        }
        links.push({ traceId: ltrace, spanId: lspan, attributes: pbKeyValues(lattrs) });
        break;
      }
      case 15: {
        for (const g of fields(f.value as Uint8Array)) {
          if (g.no === 2) status = { ...status, message: str(g.value) };
          else if (g.no === 3) status = { ...status, code: Number(g.value) };
        }
        break;
      }
    }
  }
  return {
    traceId, spanId, parentSpanId, name, kind,
    serviceName: String(resource['service.name'] ?? ''),
    resource, scope, attributes: pbKeyValues(attrs), status, events, links,
    startMs: nanosToMs(start), endMs: nanosToMs(end),
  };
}

/** Decodes an `ExportTraceServiceRequest` (protobuf) into flat spans. */
export function decodeProtobufTraces(buf: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of fields(buf)) {
    if (rs.no !== 1) continue;
    let resource: Attributes = {};
    const scopeSpans: Uint8Array[] = [];
    for (const f of fields(rs.value as Uint8Array)) {
      if (f.no === 1) resource = pbKeyValues([...fields(f.value as Uint8Array)].filter((g) => g.no === 1).map((g) => g.value as Uint8Array));
      else if (f.no === 2) scopeSpans.push(f.value as Uint8Array);
    }
    for (const ss of scopeSpans) {
      let scope = '';
      const spans: Uint8Array[] = [];
      for (const f of fields(ss)) {
        if (f.no === 1) for (const g of fields(f.value as Uint8Array)) if (g.no === 1) scope = str(g.value);
        if (f.no === 2) spans.push(f.value as Uint8Array);
      }
      for (const s of spans) out.push(pbSpan(s, resource, scope));
    }
  }
  return out;
}

// ---- OTLP/JSON ----

interface JsonAnyValue {
  stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number; bytesValue?: string;
  arrayValue?: { values?: JsonAnyValue[] }; kvlistValue?: { values?: JsonKeyValue[] };
}
interface JsonKeyValue { key: string; value?: JsonAnyValue }

function jsonAnyValue(v: JsonAnyValue | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(jsonAnyValue);
  if (v.kvlistValue) return jsonKeyValues(v.kvlistValue.values);
  if (v.bytesValue !== undefined) return Buffer.from(v.bytesValue, 'base64').toString('hex');
  return null;
}
function jsonKeyValues(list: JsonKeyValue[] | undefined): Attributes {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, jsonAnyValue(kv.value)]));
}
/** OTLP/JSON ids are hex strings (the spec); tolerate base64 from older exporters. */
function jsonId(id: string | undefined, bytes: number): string {
  if (!id) return '';
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(id)) return id.toLowerCase();
  return Buffer.from(id, 'base64').toString('hex');
}
const jsonNanosToMs = (v: string | number | undefined): number => (v === undefined ? 0 : nanosToMs(BigInt(v)));

/** Decodes an `ExportTraceServiceRequest` in OTLP/JSON into flat spans. */
export function decodeJsonTraces(body: unknown): ReceivedSpan[] {
  type JsonSpan = {
    traceId?: string; spanId?: string; parentSpanId?: string; name?: string; kind?: number;
    startTimeUnixNano?: string; endTimeUnixNano?: string; attributes?: JsonKeyValue[];
    events?: Array<{ name?: string; timeUnixNano?: string; attributes?: JsonKeyValue[] }>;
    links?: Array<{ traceId?: string; spanId?: string; attributes?: JsonKeyValue[] }>;
    status?: { code?: number; message?: string };
  };
  type Req = { resourceSpans?: Array<{ resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: JsonSpan[] }> }> };
  const out: ReceivedSpan[] = [];
  for (const rs of (body as Req).resourceSpans ?? []) {
    const resource = jsonKeyValues(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: jsonId(s.traceId, 16),
          spanId: jsonId(s.spanId, 8),
          parentSpanId: jsonId(s.parentSpanId, 8),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          serviceName: String(resource['service.name'] ?? ''),
          resource,
          scope: ss.scope?.name ?? '',
          attributes: jsonKeyValues(s.attributes),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          events: (s.events ?? []).map((e) => ({ name: e.name ?? '', timeMs: jsonNanosToMs(e.timeUnixNano), attributes: jsonKeyValues(e.attributes) })),
          links: (s.links ?? []).map((l) => ({ traceId: jsonId(l.traceId, 16), spanId: jsonId(l.spanId, 8), attributes: jsonKeyValues(l.attributes) })),
          startMs: jsonNanosToMs(s.startTimeUnixNano),
          endMs: jsonNanosToMs(s.endTimeUnixNano),
        });
      }
    }
  }
  return out;
}

// ---- the server ----

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? promisify(gunzip)(raw) : raw;
}

/** `decode: false` (benchmarks) accepts and counts export requests without decoding them. */
export async function startOtlpReceiver(options: { host?: string; port?: number; decode?: boolean } = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  let requests = 0;
  let bytes = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/traces') {
      // Metrics and logs exporters, if any are configured, are accepted and ignored.
      res.writeHead(req.method === 'POST' && (path === '/v1/metrics' || path === '/v1/logs') ? 200 : 404).end();
      return;
    }
    requests += 1;
    const body = await readBody(req);
    bytes += body.length;
    if (options.decode === false) {
      res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/x-protobuf') }).end();
      return;
    }
    const type = String(req.headers['content-type'] ?? '');
    if (type.includes('json')) {
      spans.push(...decodeJsonTraces(JSON.parse(body.toString('utf8'))));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    } else {
      spans.push(...decodeProtobufTraces(body));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  let connections = 0;
  server.on('connection', () => (connections += 1));
  // Node's http Agent takes the server's `Keep-Alive: timeout=N` hint minus one second as its own
  // idle limit: a 1 s hint made the exporter drop the socket after every export and pay a new TCP
  // connection per batch (in the traced api, during the benchmarks). A collector keeps idle
  // connections for far longer; `close()` cuts them anyway.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    spans,
    requests: () => requests,
    bytes: () => bytes,
    connections: () => connections,
    async waitForSpans(predicate, timeoutMs = 15_000, what = 'spans') {
      await waitFor(() => predicate(spans), timeoutMs, what, 50);
      return spans;
    },
    clear() {
      spans.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
