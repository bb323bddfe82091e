import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createTestDatabase, type TestDatabase } from '@opad/core/testing/database';
import { freePort, waitFor } from '@opad/core/testing/ports';
import { deletePrefixedKeys, getRedisUrl, uniquePrefix } from '@opad/core/testing/redis';
import { startArgs } from '../../scripts/build-services.ts';

/**
 * The real stack for browser tests: api, worker and web as child processes on free ports,
 * with a fresh database, a queue prefix of their own, objects in a temp dir and the offline
 * generator (no OPENAI_API_KEY). A local page server stands in for a news site.
 */

const root = resolve(import.meta.dirname, '../..');

export interface ServiceHandle {
  readonly name: string;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly logs: string[];
}

export interface Stack {
  webUrl: string;
  apiUrl: string;
  pageUrl: string;
  api: ServiceHandle;
  worker: ServiceHandle;
  web: ServiceHandle;
  /** Pages the local "news site" serves, by path. */
  pages: Map<string, string>;
  stop(): Promise<void>;
}

/** Builds the web once (remix vite:build) so the stack runs what production runs. */
export function buildWeb(): void {
  // NODE_ENV=production: under vitest it is `test`, which would bundle React's development build.
  const res = spawnSync('npm', ['run', '--silent', 'build', '-w', '@opad/web'], { cwd: root, stdio: 'pipe', encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
  if (res.status !== 0) throw new Error(`web build failed:\n${res.stdout}\n${res.stderr}`);
}

function service(name: string, port: number, cwd: string, args: string[], env: Record<string, string>, ready: () => Promise<boolean>): ServiceHandle {
  let child: ChildProcess | undefined;
  const logs: string[] = [];
  const start = async () => {
    const proc = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer) => {
      logs.push(chunk.toString());
      if (logs.length > 400) logs.shift();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${logs.join('').slice(-3000)}`))),
    );
    exited.catch(() => undefined);
    await Promise.race([waitFor(ready, 30_000, `${name} on ${port}`, 100), exited]);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const gone = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    const force = setTimeout(() => running.kill('SIGKILL'), 8_000);
    await gone;
    clearTimeout(force);
  };
  return { name, port, start, stop, logs };
}

const answers = (url: string) => async () => {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
};

export interface StackOptions {
  /** A Redis of the test's own (e.g. a private redis-server it stops and restarts). */
  redisUrl?: string;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const database: TestDatabase = await createTestDatabase('e2e');
  const storageDir = await mkdtemp(join(tmpdir(), 'opad-e2e-objects-'));
  const pages = new Map<string, string>();
  const pageServer: Server = createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html ?? '<h1>Not found</h1>');
  });
  await new Promise<void>((r) => pageServer.listen(0, '127.0.0.1', r));
  const pagePort = (pageServer.address() as AddressInfo).port;

  const [apiPort, webPort, workerPort] = [await freePort(), await freePort(), await freePort()];
  const shared = {
    DATABASE_URL: database.url,
    REDIS_URL: options.redisUrl ?? getRedisUrl(),
    QUEUE_PREFIX: uniquePrefix('e2e'),
    STORAGE_DIR: storageDir,
    OPENAI_API_KEY: '',
    S3_BUCKET: '',
    R2_BUCKET: '',
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: process.env.E2E_LOG_LEVEL ?? "warn",
    NODE_ENV: 'production',
  };
  const register = ['--import', '@opad/core/telemetry/register'];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const webUrl = `http://127.0.0.1:${webPort}`;
  // api and worker exactly as in production: their start scripts, the bundles in dist/ (built by
  // the global setup); the web as `remix-serve` over its production build.
  const api = service('api', apiPort, resolve(root, 'api'), startArgs('api'), { ...shared, PORT: String(apiPort), RATE_LIMIT_WRITES_PER_MINUTE: '0' }, answers(`${apiUrl}/readyz`));
  const worker = service(
    'worker',
    workerPort,
    resolve(root, 'worker'),
    startArgs('worker'),
    { ...shared, HEALTH_PORT: String(workerPort), GENERATOR: 'offline', FETCH_ALLOW_HOSTS: `127.0.0.1:${pagePort},127.0.0.1`, SWEEP_INTERVAL_MS: '1000', SWEEP_QUEUED_AFTER_MS: '1000' },
    answers(`http://127.0.0.1:${workerPort}/healthz`),
  );
  const remixServe = resolve(root, 'node_modules/@remix-run/serve/dist/cli.js');
  const web = service('web', webPort, resolve(root, 'web'), [...register, remixServe, './build/server/index.js'], { ...shared, PORT: String(webPort), API_BASE_URL: apiUrl, API_TIMEOUT_MS: '3000' }, answers(`${webUrl}/healthz`));

  const started: ServiceHandle[] = [];
  const stop = async () => {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    await new Promise<void>((r) => pageServer.close(() => r()));
    await database.drop().catch(() => undefined);
    await deletePrefixedKeys(shared.REDIS_URL, shared.QUEUE_PREFIX);
    await rm(storageDir, { recursive: true, force: true });
  };
  try {
    for (const s of [api, worker, web]) {
      await s.start();
      started.push(s);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { webUrl, apiUrl, pageUrl: `http://127.0.0.1:${pagePort}`, api, worker, web, pages, stop };
}
