import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export type Check = () => Promise<void>;

const withTimeout = (check: Check, ms: number): Promise<void> =>
  Promise.race([check(), new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/**
 * /healthz: the process is alive. /readyz: every dependency answers (200) or not (503, naming
 * which). /metrics: Prometheus text.
 */
export async function startHealthServer(options: {
  port: number;
  checks: Record<string, Check>;
  registry: Registry;
  isShuttingDown: () => boolean;
  timeoutMs?: number;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: { code: 'method_not_allowed', message: 'GET only' } });
    if (path === '/healthz') return send(200, { status: 'ok' });
    if (path === '/readyz') {
      const names = Object.keys(options.checks);
      Promise.allSettled(names.map((name) => withTimeout(options.checks[name] as Check, options.timeoutMs ?? 2_000))).then((results) => {
        const checks: Record<string, string> = {};
        results.forEach((r, i) => {
          checks[names[i] as string] = r.status === 'fulfilled' ? 'ok' : `unavailable: ${(r.reason as Error)?.message ?? r.reason}`;
        });
        const shuttingDown = options.isShuttingDown();
        const ready = !shuttingDown && results.every((r) => r.status === 'fulfilled');
        send(ready ? 200 : 503, { status: ready ? 'ready' : shuttingDown ? 'shutting down' : 'not ready', checks });
      });
      return;
    }
    if (path === '/metrics') {
      options.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(text);
        },
        (error: unknown) => send(500, { error: { code: 'internal', message: (error as Error).message } }),
      );
      return;
    }
    send(404, { error: { code: 'not_found', message: `no route ${path}` } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, resolve);
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
