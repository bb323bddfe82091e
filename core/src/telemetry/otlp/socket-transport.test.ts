import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExportResponse, IExporterTransport } from '@opentelemetry/otlp-exporter-base';
import { createSocketTransport, parseRetryAfter, withRetries } from './socket-transport.ts';

/** A scripted OTLP collector: a real HTTP server whose answers the test decides. */
interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  remotePort: number;
}

const servers: Server[] = [];
const transports: IExporterTransport[] = [];

afterEach(async () => {
  for (const t of transports.splice(0)) t.shutdown();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function collector(answer: (req: Received, res: ServerResponse, n: number) => void, setup?: (s: ReturnType<typeof createHttpServer>) => void) {
  const received: Received[] = [];
  const server = createHttpServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts), remotePort: req.socket.remotePort ?? 0 };
      received.push(r);
      answer(r, res, received.length);
    });
  });
  setup?.(server);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, received };
}

/** A TCP server that answers with the given raw bytes (for framings Node's server does not produce). */
async function rawCollector(reply: (socket: Socket) => void) {
  const server = createTcpServer((socket) => {
    let seen = Buffer.alloc(0);
    socket.on('data', (c: Buffer) => {
      seen = Buffer.concat([seen, c]);
      const end = seen.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(seen.toString('latin1'));
      if (end !== -1 && length && seen.length >= end + 4 + Number(length[1])) {
        seen = Buffer.alloc(0);
        reply(socket);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
}

function transport(url: string, extra: { headers?: Record<string, string>; compression?: 'gzip' | 'none' } = {}): IExporterTransport {
  const t = createSocketTransport({ url, headers: async () => ({ 'Content-Type': 'application/x-protobuf', ...extra.headers }), compression: extra.compression ?? 'none' });
  transports.push(t);
  return t;
}

const bytes = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

describe('socket transport (OTLP/HTTP to an http: endpoint)', () => {
  it('POSTs the bytes with the export headers and answers the body of a 2xx', async () => {
    const c = await collector((_req, res) => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from([1, 2, 3])));
    const t = transport(c.url, { headers: { Authorization: 'Bearer s3cret' } });
    const result = await t.send(bytes(300_000), 5_000);
    expect(result).toEqual({ status: 'success', data: Buffer.from([1, 2, 3]) });
    const [r] = c.received;
    expect(r!.method).toBe('POST');
    expect(r!.url).toBe('/v1/traces');
    expect(r!.headers['content-type']).toBe('application/x-protobuf');
    expect(r!.headers.authorization).toBe('Bearer s3cret');
    expect(r!.headers['user-agent']).toContain('OTel-OTLP-Exporter-JavaScript');
    expect(Buffer.compare(r!.body, Buffer.from(bytes(300_000)))).toBe(0);
  });

  it('keeps one connection for consecutive exports, and sends concurrent ones one after another', async () => {
    const c = await collector((_req, res) => res.end());
    const t = transport(c.url);
    await t.send(bytes(10), 5_000);
    const results = await Promise.all([t.send(bytes(20), 5_000), t.send(bytes(30), 5_000)]);
    expect(results.map((r) => r.status)).toEqual(['success', 'success']);
    expect(c.received.map((r) => r.body.length)).toEqual([10, 20, 30]);
    expect(new Set(c.received.map((r) => r.remotePort)).size).toBe(1);
  });

  it('gzips the body when compression is gzip', async () => {
    const c = await collector((_req, res) => res.end());
    await transport(c.url, { compression: 'gzip' }).send(bytes(5_000), 5_000);
    expect(c.received[0]!.headers['content-encoding']).toBe('gzip');
    expect(Buffer.compare(gunzipSync(c.received[0]!.body), Buffer.from(bytes(5_000)))).toBe(0);
  });

  it('reads a chunked answer', async () => {
    const c = await collector((_req, res) => {
      res.writeHead(200); // no Content-Length: Node's server sends chunks
      res.write(Buffer.from([7, 7]));
      setTimeout(() => res.end(Buffer.from([8])), 20);
    });
    expect(await transport(c.url).send(bytes(10), 5_000)).toEqual({ status: 'success', data: Buffer.from([7, 7, 8]) });
  });

  it('reads an answer delimited by the connection closing, then opens a new connection', async () => {
    const url = await rawCollector((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\n\r\n\x05\x06'));
    const t = transport(url);
    expect(await t.send(bytes(10), 5_000)).toEqual({ status: 'success', data: Buffer.from([5, 6]) });
    expect((await t.send(bytes(10), 5_000)).status).toBe('success');
  });

  it('makes 429/502/503/504 retryable with Retry-After, and other errors failures with the status', async () => {
    const c = await collector((_req, res, n) => {
      if (n === 1) res.writeHead(503, { 'retry-after': '3' }).end();
      else res.writeHead(400, 'Bad Request').end('bad spans');
    });
    const t = transport(c.url);
    expect(await t.send(bytes(10), 5_000)).toEqual({ status: 'retryable', retryInMillis: 3_000 });
    const failure = await t.send(bytes(10), 5_000);
    expect(failure.status).toBe('failure');
    expect(failure.status === 'failure' && failure.error).toMatchObject({ code: 400, message: 'Bad Request', data: 'bad spans' });
  });

  it('opens a new connection after the collector closed the idle one', async () => {
    const c = await collector((_req, res) => res.end(), (s) => (s.keepAliveTimeout = 50));
    const t = transport(c.url);
    await t.send(bytes(10), 5_000);
    await new Promise((r) => setTimeout(r, 200)); // the server closes the idle connection
    expect((await t.send(bytes(10), 5_000)).status).toBe('success');
    expect(c.received).toHaveLength(2);
  });

  it('sends a request again on a fresh connection when the reused one closes without an answer', async () => {
    // The race a keep-alive client meets: the collector drops the idle connection just as the
    // next request is written. Here the first connection answers once, then closes on the next request.
    let connections = 0;
    const url = await rawCollector((socket) => {
      const n = ((socket as Socket & { requests?: number }).requests = ((socket as Socket & { requests?: number }).requests ?? 0) + 1);
      if (n === 1) connections++;
      if (connections === 1 && n === 2) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    });
    const t = transport(url);
    expect((await t.send(bytes(10), 5_000)).status).toBe('success');
    expect((await t.send(bytes(10), 5_000)).status).toBe('success');
    expect(connections).toBe(2);
  });

  it('answers retryable when the collector does not answer in time or cannot be reached', async () => {
    const c = await collector(() => undefined); // never answers
    const started = Date.now();
    const silent = await transport(c.url).send(bytes(10), 300);
    expect(silent.status).toBe('retryable');
    expect(Date.now() - started).toBeLessThan(2_000);
    const closed = await new Promise<number>((resolve) => {
      const s = createTcpServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const unreachable = await transport(`http://127.0.0.1:${closed}/v1/traces`).send(bytes(10), 2_000);
    expect(unreachable.status).toBe('retryable');
  });

  it('does not keep a process alive with its idle connection', async () => {
    // The collector would keep the idle connection for a minute: only an unref'd socket lets the process end.
    const c = await collector((_req, res) => res.end(), (s) => (s.keepAliveTimeout = 60_000));
    const started = Date.now();
    const module = fileURLToPath(new URL('./socket-transport.ts', import.meta.url));
    const script = `const { createSocketTransport } = await import(${JSON.stringify(module)});
      const t = createSocketTransport({ url: ${JSON.stringify(c.url)}, headers: async () => ({}), compression: 'none' });
      const r = await t.send(new Uint8Array([1]), 5000);
      console.log(r.status);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.on('exit', (exitCode) => {
        clearTimeout(kill);
        resolve(exitCode);
      });
    });
    expect(out.trim()).toBe('success');
    expect(code).toBe(0); // exited by itself, not killed
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(c.received).toHaveLength(1);
  });

  it('fails on a header that would add lines to the request, and sends nothing', async () => {
    const c = await collector((_req, res) => res.end());
    const result = await transport(c.url, { headers: { 'x-tenant': 'a\r\nX-Injected: 1' } }).send(bytes(10), 2_000);
    expect(result.status).toBe('failure');
    expect(c.received).toHaveLength(0);
  });

  it('refuses an answer larger than 4 MB', async () => {
    const c = await collector((_req, res) => res.end(Buffer.alloc(5 * 1024 * 1024)));
    expect((await transport(c.url).send(bytes(10), 5_000)).status).toBe('retryable');
  });
});

describe('withRetries', () => {
  const scripted = (answers: ExportResponse[]) => {
    let calls = 0;
    const t: IExporterTransport = { send: async () => answers[Math.min(calls++, answers.length - 1)]!, shutdown: () => undefined };
    return { t, calls: () => calls };
  };
  const noSleep = async () => undefined;

  it('retries retryable answers until one succeeds, at most 5 more times', async () => {
    const ok = scripted([{ status: 'retryable' }, { status: 'retryable', retryInMillis: 10 }, { status: 'success' }]);
    expect((await withRetries(ok.t, noSleep).send(new Uint8Array(), 10_000)).status).toBe('success');
    expect(ok.calls()).toBe(3);
    const never = scripted([{ status: 'retryable' }]);
    expect((await withRetries(never.t, noSleep).send(new Uint8Array(), 60_000)).status).toBe('retryable');
    expect(never.calls()).toBe(6);
  });

  it('does not retry a failure, nor past the timeout', async () => {
    const failure = scripted([{ status: 'failure', error: new Error('400') }]);
    expect((await withRetries(failure.t, noSleep).send(new Uint8Array(), 10_000)).status).toBe('failure');
    expect(failure.calls()).toBe(1);
    const late = scripted([{ status: 'retryable', retryInMillis: 5_000 }, { status: 'success' }]);
    expect((await withRetries(late.t, noSleep).send(new Uint8Array(), 1_000)).status).toBe('retryable');
    expect(late.calls()).toBe(1);
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(parseRetryAfter('2')).toBe(2_000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    const inTwoSeconds = new Date(Date.now() + 2_000).toUTCString();
    expect(parseRetryAfter(inTwoSeconds)).toBeGreaterThan(500);
  });
});
