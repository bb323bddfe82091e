import { createServer } from 'node:http';
import { loadConfigOrExit } from '@opad/core/config';
import { createLogger } from '@opad/core/logger';
import { injectTraceContext } from '@opad/core/telemetry/tracing';
import { configSchema } from './config.ts';
import { createApp } from './app.ts';
import { connectServices } from './services.ts';
import { version } from './version.ts';

const config = loadConfigOrExit(configSchema, 'api');
const log = createLogger('api', config.LOG_LEVEL);
const services = connectServices(config, log);
const app = createApp({
  ...services,
  version,
  rateLimitWritesPerMinute: config.RATE_LIMIT_WRITES_PER_MINUTE,
  trustProxyHops: config.TRUST_PROXY_HOPS,
  // W3C context of the generate request, stored with the job row and carried in the job data.
  traceCarrier: () => injectTraceContext(),
});

const server = createServer(app);
server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
server.listen(config.PORT, () => {
  log.info({ port: config.PORT, version }, `opad-api listening on http://127.0.0.1:${config.PORT}`);
});
server.on('error', (error) => {
  log.fatal({ err: error }, 'cannot listen');
  process.exit(1);
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down: no new connections, finishing requests');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // SSE streams never finish by themselves; the client reconnects to another replica.
  const force = setTimeout(() => server.closeAllConnections(), 5_000);
  await closed;
  clearTimeout(force);
  await services.close();
  log.info('bye');
  // Anything still holding the event loop (a library timer) must not keep a stopped pod alive.
  setTimeout(() => process.exit(0), 2_000).unref();
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
