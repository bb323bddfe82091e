/**
 * Pipeline benchmark: jobs/s through the real worker process (offline generator, Postgres,
 * Redis, files on disk) beside the floor — a bare BullMQ worker with a no-op processor on the
 * same Redis, same concurrency — in one run. Per-job overhead = pickup (BullMQ processedOn) →
 * result stored → row succeeded (finished_at), minus the generator's own time (logged by the
 * worker per job). Worker RSS idle (before and after warm-up) and peak under load.
 *
 *   npx node bench/pipeline.ts
 * Env: BENCH_JOBS (default 400), BENCH_CONCURRENCY (default 2)
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Worker } from 'bullmq';
import { QueryTypes } from 'sequelize';
import { createTestDatabase } from '../core/src/testing/database.ts';
import { getRedisUrl, uniquePrefix } from '../core/src/testing/redis.ts';
import { waitFor } from '../core/src/testing/ports.ts';
import { createRedis } from '../core/src/redis.ts';
import { GENERATE_QUEUE, createGenerateQueue } from '../core/src/queue.ts';
import { buildService, startArgs } from '../scripts/build-services.ts';

const JOBS = Number(process.env.BENCH_JOBS ?? 400);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 2);
const WARMUP = 20;
const root = resolve(import.meta.dirname, '..');
const fixture = await readFile(join(root, 'worker/src/testing/fixtures/news-article.html'), 'utf8');
const TEXT = (fixture.match(/<div class="story-body">([\s\S]*?)<\/div>/)?.[1] ?? '').replace(/<\/p>/g, '\n\n').replace(/<[^>]+>/g, '').trim();

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const rssMb = async (pid: number) => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
};

const database = await createTestDatabase('bench_pipeline');
const redisUrl = getRedisUrl();
const storageDir = await mkdtemp(join(tmpdir(), 'opad-bench-pipeline-'));

async function createJobs(n: number): Promise<Array<{ jobId: string; articleId: string }>> {
  const ids = Array.from({ length: n }, () => ({ jobId: randomUUID(), articleId: randomUUID() }));
  await database.db.models.Article.bulkCreate(ids.map((i) => ({ id: i.articleId, language: 'en' as const, level: 'B1' as const, targetWords: 150, sourceText: TEXT, sourceTitle: 'Floating gardens' })));
  await database.db.models.Job.bulkCreate(ids.map((i) => ({ id: i.jobId, articleId: i.articleId })));
  return ids;
}

// ---- floor: a bare BullMQ worker, no-op processor -------------------------------------------
const floorPrefix = uniquePrefix('bench-floor');
const floorQueue = createGenerateQueue(createRedis(redisUrl, 'worker'), floorPrefix);
const floorData = Array.from({ length: JOBS }, () => ({ jobId: randomUUID(), articleId: randomUUID(), trace: {} }));
await floorQueue.addBulk(floorData.map((d) => ({ name: GENERATE_QUEUE, data: d, opts: { jobId: d.jobId } })));
let floorDone = 0;
const floorStart = performance.now();
const floorWorker = new Worker(GENERATE_QUEUE, async () => ({ ok: true }), { connection: createRedis(redisUrl, 'worker'), prefix: floorPrefix, concurrency: CONCURRENCY });
floorWorker.on('completed', () => floorDone++);
await waitFor(() => floorDone >= JOBS, 120_000, 'the floor worker', 5);
const floorSeconds = (performance.now() - floorStart) / 1000;
await floorWorker.close();
await floorQueue.obliterate({ force: true });
await floorQueue.close();

// ---- the real worker process ----------------------------------------------------------------
const prefix = uniquePrefix('bench-pipeline');
const queue = createGenerateQueue(createRedis(redisUrl, 'worker'), prefix);
// Started exactly as its start script does (same Node flags and preload, the bundle in dist/).
await buildService('worker');
const child = spawn(process.execPath, startArgs('worker'), {
  cwd: join(root, 'worker'),
  env: {
    PATH: process.env.PATH,
    DATABASE_URL: database.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    HEALTH_PORT: '0',
    LOG_LEVEL: 'info',
    STORAGE_DIR: storageDir,
    GENERATOR: 'offline',
    WORKER_CONCURRENCY: String(CONCURRENCY),
    OTEL_SDK_DISABLED: 'true',
    ...(process.env.WORKER_NODE_OPTIONS ? { NODE_OPTIONS: process.env.WORKER_NODE_OPTIONS } : {}),
    NODE_ENV: 'production',
  },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const generatorMs = new Map<string, number>();
let started = false;
let buffered = '';
child.stdout.on('data', (chunk: Buffer) => {
  buffered += chunk.toString();
  const lines = buffered.split('\n');
  buffered = lines.pop() ?? '';
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { msg?: string; jobId?: string; generatorMs?: number };
      if (entry.msg === 'worker started') started = true;
      if (entry.msg === 'article generated' && entry.jobId && entry.generatorMs !== undefined) generatorMs.set(entry.jobId, entry.generatorMs);
    } catch {
      // not a log line
    }
  }
});
await waitFor(() => started, 30_000, 'the worker to start');
await new Promise((r) => setTimeout(r, 1_000));
const rssIdleStart = await rssMb(child.pid as number);

const succeeded = async (ids: Array<{ jobId: string }>) => {
  const [row] = await database.db.sequelize.query<{ n: string }>(`SELECT count(*) AS n FROM jobs WHERE status = 'succeeded' AND id IN (:ids)`, {
    replacements: { ids: ids.map((i) => i.jobId) },
    type: QueryTypes.SELECT,
  });
  return Number(row?.n ?? 0);
};
const enqueue = (ids: Array<{ jobId: string; articleId: string }>) =>
  queue.addBulk(ids.map((i) => ({ name: GENERATE_QUEUE, data: { ...i, trace: {} }, opts: { jobId: i.jobId } })));

// Warm-up: first jobs load the frequency list and WordNet indexes.
const warm = await createJobs(WARMUP);
await enqueue(warm);
await waitFor(async () => (await succeeded(warm)) === WARMUP, 60_000, 'warm-up jobs', 50);
await new Promise((r) => setTimeout(r, 1_000));
const rssIdleWarm = await rssMb(child.pid as number);

const ids = await createJobs(JOBS);
let rssPeak = 0;
const sampler = setInterval(() => {
  rssMb(child.pid as number).then((v) => (rssPeak = Math.max(rssPeak, v)));
}, 100);
const runStart = performance.now();
await enqueue(ids);
await waitFor(async () => (await succeeded(ids)) === JOBS, 300_000, 'the pipeline jobs', 20);
const runSeconds = (performance.now() - runStart) / 1000;
clearInterval(sampler);

// Per-job overhead: pickup → row succeeded, minus generator time.
const overheads: number[] = [];
const generatorTimes: number[] = [];
const rows = await database.db.sequelize.query<{ id: string; finished: number }>(
  `SELECT id, extract(epoch from finished_at) * 1000 AS finished FROM jobs WHERE id IN (:ids)`,
  { replacements: { ids: ids.map((i) => i.jobId) }, type: QueryTypes.SELECT },
);
for (const row of rows) {
  const job = await queue.getJob(row.id);
  const gen = generatorMs.get(row.id);
  if (!job?.processedOn || gen === undefined) continue;
  overheads.push(Number(row.finished) - job.processedOn - gen);
  generatorTimes.push(gen);
}

child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await queue.obliterate({ force: true });
await queue.close();
await database.drop();
await rm(storageDir, { recursive: true, force: true });

const f = (n: number, d = 1) => n.toFixed(d);
const rowsOut: Array<[string, string]> = [
  ['machine', `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`],
  ['jobs / concurrency', `${JOBS} / ${CONCURRENCY}`],
  ['floor: bare BullMQ no-op worker', `${f(JOBS / floorSeconds, 0)} jobs/s`],
  ['worker, offline generator', `${f(JOBS / runSeconds, 0)} jobs/s (${f((100 * (JOBS / runSeconds)) / (JOBS / floorSeconds), 0)}% of floor)`],
  ['generator time per job (median / p95)', `${f(pct(generatorTimes, 50), 2)} / ${f(pct(generatorTimes, 95), 2)} ms`],
  ['overhead per job, generator excluded (median / p95)', `${f(pct(overheads, 50), 2)} / ${f(pct(overheads, 95), 2)} ms  (target median ≤ 15 ms; n=${overheads.length})`],
  ['worker RSS idle (at start / after warm-up)', `${f(rssIdleStart)} / ${f(rssIdleWarm)} MB`],
  ['worker RSS peak under load', `${f(rssPeak)} MB  (target ≤ 150 MB)`],
];
const width = Math.max(...rowsOut.map(([k]) => k.length));
process.stdout.write(`\npipeline benchmark\n${'-'.repeat(width + 40)}\n`);
for (const [k, v] of rowsOut) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
process.exit(0);
