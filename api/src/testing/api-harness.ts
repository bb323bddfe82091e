import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@opad/core/logger';
import { createTestDatabase, type TestDatabase } from '@opad/core/testing/database';
import { getRedisUrl, uniquePrefix } from '@opad/core/testing/redis';
import { loadConfig } from '@opad/core/config';
import { configSchema, type ApiConfig } from '../config.ts';
import { createApp } from '../app.ts';
import { connectServices } from '../services.ts';

export interface ApiHarness {
  baseUrl: string;
  config: ApiConfig;
  database: TestDatabase;
  services: ReturnType<typeof connectServices>;
  request(path: string, init?: RequestInit): Promise<Response>;
  postJson(path: string, body: unknown): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real api (Express app + Postgres + Redis + a disk object store) on a free port, with a
 * database and queue prefix of its own.
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiHarness> {
  const database = await createTestDatabase('api');
  const storageDir = await mkdtemp(join(tmpdir(), 'opad-api-store-'));
  const config = loadConfig(configSchema, {
    DATABASE_URL: database.url,
    REDIS_URL: getRedisUrl(),
    QUEUE_PREFIX: uniquePrefix('api'),
    STORAGE_DIR: storageDir,
    RATE_LIMIT_WRITES_PER_MINUTE: '0',
    ...env,
  });
  const log = createLogger('api', 'silent');
  const services = connectServices(config, log);
  const app = createApp({ ...services, version: 'test', rateLimitWritesPerMinute: config.RATE_LIMIT_WRITES_PER_MINUTE });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request = (path: string, init?: RequestInit) => fetch(`${baseUrl}${path}`, init);
  return {
    baseUrl,
    config,
    database,
    services,
    request,
    postJson: (path, body) => request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await services.queue.obliterate({ force: true }).catch(() => undefined);
      await services.close();
      await database.drop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
