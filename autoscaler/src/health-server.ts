// /healthz (the process lives), /readyz (the Kubernetes API answers and, when leading, the
// informers have listed), /metrics (Prometheus).
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  ready: () => Promise<boolean>;
}

export function startHealthServer(port: number, registry: Registry, checks: HealthChecks): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (code: number, body: string, type = 'application/json') => {
      res.writeHead(code, { 'content-type': type });
      res.end(body);
    };
    if (path === '/healthz') return send(200, '{"status":"ok"}');
    if (path === '/readyz') {
      void checks
        .ready()
        .catch(() => false)
        .then((ok) => send(ok ? 200 : 503, JSON.stringify({ status: ok ? 'ready' : 'not ready' })));
      return;
    }
    if (path === '/metrics') {
      void registry.metrics().then((text) => send(200, text, registry.contentType));
      return;
    }
    send(404, '{"error":{"code":"not_found","message":"not found"}}');
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
}
