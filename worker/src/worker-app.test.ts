import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QueryTypes } from 'sequelize';
import { Worker, type Queue, type QueueEvents } from 'bullmq';
import { readFileSync } from 'node:fs';
import { createTestDatabase, type TestDatabase } from '@opad/core/testing/database';
import { getRedisUrl, testQueueEvents, uniquePrefix } from '@opad/core/testing/redis';
import { startS3Server, type S3ServerHandle } from '@opad/core/testing/s3';
import { waitFor } from '@opad/core/testing/ports';
import { createGenerateQueue, GENERATE_QUEUE, type GenerateJobData, type JobProgress } from '@opad/core/queue';
import { createRedis } from '@opad/core/redis';
import { createObjectStore } from '@opad/core/storage/create-object-store';
import type { ObjectStore } from '@opad/core/storage/object-store';
import { articleMetaSchema, type ArticleMeta } from '@opad/core/http-contract';
import { objectKeys, STAGES } from '@opad/core/domain';
import { createLogger } from '@opad/core/logger';
import { configSchema } from './config.ts';
import { startWorkerApp, type WorkerApp } from './worker-app.ts';
import { createSweeper } from './sweeper.ts';
import { createJobRows } from './job-rows.ts';
import type { Generator } from './generators/generator.ts';
import { OfflineGenerator } from './generators/offline/offline-generator.ts';
import { OpenAIGenerator } from './generators/openai/openai-generator.ts';
import { DEFAULT_USAGE, normal, startFakeOpenAIServer, type FakeOpenAIServer } from './testing/fake-openai-server.ts';
import { html, startPageServer } from './testing/page-server.ts';
import { createQueuedJob, enqueueForTest, isTerminal, jobRow } from './testing/harness.ts';

const fixture = readFileSync(new URL('./testing/fixtures/news-article.html', import.meta.url), 'utf8');
const PASTED = readFileSync(new URL('./testing/fixtures/news-article.html', import.meta.url), 'utf8')
  .match(/<div class="story-body">([\s\S]*?)<\/div>/)?.[1]
  ?.replace(/<\/p>/g, '\n\n')
  .replace(/<[^>]+>/g, '')
  .trim() as string;

let tdb: TestDatabase;
let s3: S3ServerHandle;
let fake: FakeOpenAIServer;
let pages: Awaited<ReturnType<typeof startPageServer>>;
let app: WorkerApp;
let queue: Queue<GenerateJobData>;
let events: QueueEvents;
let store: ObjectStore;
const metaReads: string[] = [];
const progress = new Map<string, JobProgress[]>();
const offline = new OfflineGenerator();
let openai: OpenAIGenerator;
const active: { generator: Generator } = { generator: offline };
/** The app's generator, switchable per test. */
const switchable: Generator = {
  get name() {
    return active.generator.name;
  },
  get model() {
    return active.generator.model;
  },
  generate: (request, context) => active.generator.generate(request, context),
};

beforeAll(async () => {
  [tdb, s3, fake, pages] = await Promise.all([
    createTestDatabase('worker'),
    startS3Server(),
    startFakeOpenAIServer(),
    startPageServer({ '/news/floating-gardens': html(fixture) }),
  ]);
  const prefix = uniquePrefix('worker');
  const config = configSchema.parse({
    DATABASE_URL: tdb.url,
    REDIS_URL: getRedisUrl(),
    QUEUE_PREFIX: prefix,
    HEALTH_PORT: '0',
    LOG_LEVEL: 'silent',
    S3_ENDPOINT: s3.endpoint,
    S3_BUCKET: s3.bucket,
    S3_ACCESS_KEY_ID: s3.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    S3_FORCE_PATH_STYLE: 'true',
    FETCH_ALLOW_HOSTS: pages.host,
    SWEEP_QUEUED_AFTER_MS: '1000',
  });
  store = createObjectStore(config);
  openai = new OpenAIGenerator({ apiKey: 'k', baseURL: fake.baseURL, model: 'fake-model', timeoutMs: 1_000, maxRetries: 0 });
  // The real store, with its reads of meta.json recorded (to see which attempts look for a stored result).
  const spied = new Proxy(store, {
    get: (target, key, receiver) =>
      key === 'getText'
        ? (k: string) => {
            metaReads.push(k);
            return target.getText(k);
          }
        : Reflect.get(target, key, receiver),
  });
  app = await startWorkerApp(config, { generator: switchable, store: spied, sweep: false, defaultMetrics: false, logger: createLogger('worker-test', 'silent') });
  queue = createGenerateQueue(createRedis(getRedisUrl(), 'worker'), prefix);
  events = testQueueEvents(prefix);
  events.on('progress', ({ jobId, data }) => {
    progress.set(jobId, [...(progress.get(jobId) ?? []), data as JobProgress]);
  });
  await events.waitUntilReady();
});

afterAll(async () => {
  await app?.shutdown();
  await events?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await Promise.all([tdb?.drop(), s3?.stop(), fake?.close(), pages?.close()]);
});

beforeEach(() => {
  active.generator = offline;
  fake.script = normal;
  fake.requests.length = 0;
});

async function runJob(article: Parameters<typeof createQueuedJob>[1], attempts = 3) {
  const ids = await createQueuedJob(tdb.db, article);
  await enqueueForTest(queue, ids, attempts);
  await waitFor(() => isTerminal(tdb.db, ids.jobId), 20_000, `job ${ids.jobId} to finish`);
  return { ...ids, row: await jobRow(tdb.db, ids.jobId) };
}

async function storedMeta(articleId: string): Promise<ArticleMeta> {
  return articleMetaSchema.parse(JSON.parse((await store.getText(objectKeys.meta(articleId))) as string));
}

describe('full pipeline', () => {
  it('pasted text, offline: adapted.md + meta.json, row succeeded, article ready, every stage reported', async () => {
    const { articleId, jobId, row } = await runJob({ sourceText: PASTED, sourceTitle: 'Floating gardens', targetWords: 150 });
    expect(row).toMatchObject({ status: 'succeeded', progress: 100, stage: 'store', attempts: 1, error_code: null, result_ref: objectKeys.adapted(articleId) });
    expect(row.started_at).toBeTruthy();
    expect(row.finished_at).toBeTruthy();
    // a first attempt cannot have stored a result before: it does not look for one
    expect(metaReads).not.toContain(objectKeys.meta(articleId));
    const meta = await storedMeta(articleId);
    expect(meta).toMatchObject({ articleId, jobId, generator: 'offline', model: 'offline-extractive-v1', title: 'Floating gardens', usage: { inputTokens: 0, outputTokens: 0 } });
    expect(meta.wordCount).toBeGreaterThanOrEqual(150 * 0.85);
    expect(meta.wordCount).toBeLessThanOrEqual(150 * 1.15);
    const markdown = (await store.getText(objectKeys.adapted(articleId))) as string;
    expect(markdown).toMatch(/^# Floating gardens\n/);
    expect(markdown).toMatch(/## Vocabulary/);
    expect(markdown).toMatch(/Source: text provided by the reader/);
    expect(markdown).toMatch(/offline/);
    const article = await tdb.db.models.Article.findByPk(articleId);
    expect(article).toMatchObject({ status: 'ready', title: 'Floating gardens' });
    await waitFor(() => (progress.get(jobId) ?? []).some((p) => p.progress === 100), 2_000, 'the last progress event');
    const seen = (progress.get(jobId) ?? []).map((p) => p.stage);
    for (const stage of STAGES) expect(seen).toContain(stage);
  });

  it('URL from a local page server (allow-listed), offline: within ±15% of the target, with glosses and attribution', async () => {
    const url = `${pages.origin}/news/floating-gardens`;
    const { articleId, row } = await runJob({ sourceUrl: url, targetWords: 200, level: 'B1' });
    expect(row.status).toBe('succeeded');
    const meta = await storedMeta(articleId);
    expect(meta.source).toMatchObject({ kind: 'url', url, title: 'River town bets on floating gardens to clean its water', siteName: 'The Riverside Courier' });
    expect(meta.wordCount).toBeGreaterThanOrEqual(170);
    expect(meta.wordCount).toBeLessThanOrEqual(230);
    expect(meta.vocabulary.length).toBeGreaterThan(3);
    const markdown = (await store.getText(objectKeys.adapted(articleId))) as string;
    expect(markdown).toContain(`](${url})`);
    expect(markdown).not.toMatch(/Subscribe|Advertisement|cookies/);
  });

  it('openai generator: three round trips, usage on the row and in meta.json', async () => {
    active.generator = openai;
    const { articleId, jobId, row } = await runJob({ sourceText: PASTED, targetWords: 150 });
    expect(row).toMatchObject({ status: 'succeeded', input_tokens: 3 * DEFAULT_USAGE.prompt_tokens, output_tokens: 3 * DEFAULT_USAGE.completion_tokens });
    expect(fake.requests.map((r) => r.schema)).toEqual(['adaptation', 'review', 'vocabulary']);
    const meta = await storedMeta(articleId);
    expect(meta).toMatchObject({ jobId, generator: 'openai', model: 'fake-model', title: 'Gardens on the river' });
    expect(meta.usage).toEqual({ inputTokens: 360, outputTokens: 240 });
  });
});

describe('failures', () => {
  it('an LLM 4xx fails at once with llm_rejected (no retry)', async () => {
    active.generator = openai;
    fake.script = () => ({ kind: 'error', status: 401, message: 'invalid api key' });
    const { articleId, jobId, row } = await runJob({ sourceText: PASTED });
    expect(row).toMatchObject({ status: 'failed', error_code: 'llm_rejected', attempts: 1 });
    expect(row.error_message).toMatch(/401/);
    expect(fake.requests).toHaveLength(1);
    expect((await tdb.db.models.Article.findByPk(articleId))?.status).toBe('failed');
    const job = await queue.getJob(jobId);
    expect(await job?.getState()).toBe('failed');
    expect(await store.exists(objectKeys.meta(articleId))).toBe(false);
  });

  it('a persistent LLM 5xx is retried by BullMQ with backoff, then fails with llm_unavailable', async () => {
    active.generator = openai;
    fake.script = () => ({ kind: 'error', status: 500 });
    const { row } = await runJob({ sourceText: PASTED }, 3);
    expect(row).toMatchObject({ status: 'failed', error_code: 'llm_unavailable', attempts: 3 });
    expect(fake.requests).toHaveLength(3);
  });

  it('a transient LLM failure is retried and the job then succeeds, counting usage once', async () => {
    active.generator = openai;
    fake.script = (r) => (r.index === 1 ? { kind: 'error', status: 503 } : { kind: 'answer' });
    const { row } = await runJob({ sourceText: PASTED }, 3);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, error_code: null });
    // The stored result's usage: the successful attempt's three calls.
    expect(row.input_tokens).toBe(3 * DEFAULT_USAGE.prompt_tokens);
  });

  it('a malformed answer twice fails with llm_malformed without retries', async () => {
    active.generator = openai;
    fake.script = () => ({ kind: 'malformed' });
    const { row } = await runJob({ sourceText: PASTED });
    expect(row).toMatchObject({ status: 'failed', error_code: 'llm_malformed', attempts: 1 });
    expect(fake.requests).toHaveLength(2);
  });

  it('a URL to an internal address fails with source_blocked', async () => {
    const { row } = await runJob({ sourceUrl: 'http://169.254.169.254/latest/meta-data/' });
    expect(row).toMatchObject({ status: 'failed', error_code: 'source_blocked', attempts: 1 });
    expect(row.error_message).toMatch(/169\.254\.169\.254/);
  });

  it('a topic without a search provider fails with search_unavailable', async () => {
    const { row } = await runJob({ topic: 'floating gardens' });
    expect(row).toMatchObject({ status: 'failed', error_code: 'search_unavailable', attempts: 1 });
  });
});

describe('nothing twice', () => {
  it('a re-delivered job whose meta.json already names it finishes from it without generating', async () => {
    active.generator = openai;
    const ids = await createQueuedJob(tdb.db, { sourceText: PASTED });
    const meta: ArticleMeta = {
      articleId: ids.articleId,
      jobId: ids.jobId,
      generator: 'openai',
      model: 'fake-model',
      source: { kind: 'text', url: null, title: null, siteName: null, byline: null },
      params: { language: 'en', level: 'B1', targetWords: 150 },
      title: 'Stored before the crash',
      wordCount: 150,
      vocabulary: [],
      usage: { inputTokens: 11, outputTokens: 7 },
      notes: [],
      createdAt: new Date().toISOString(),
    };
    await store.put(objectKeys.adapted(ids.articleId), '# Stored before the crash\n', 'text/markdown');
    await store.put(objectKeys.meta(ids.articleId), JSON.stringify(meta), 'application/json');
    await tdb.db.sequelize.query(`UPDATE jobs SET status = 'running', attempts = 1 WHERE id = :id`, { replacements: { id: ids.jobId } });
    await enqueueForTest(queue, ids);
    await waitFor(() => isTerminal(tdb.db, ids.jobId), 10_000, 'job to finish');
    expect(await jobRow(tdb.db, ids.jobId)).toMatchObject({ status: 'succeeded', input_tokens: 11, output_tokens: 7 });
    expect(fake.requests).toHaveLength(0);
    expect((await tdb.db.models.Article.findByPk(ids.articleId))?.title).toBe('Stored before the crash');
    expect(metaReads).toContain(objectKeys.meta(ids.articleId));
  });

  it('a job whose row is already terminal is a no-op', async () => {
    const ids = await createQueuedJob(tdb.db, { sourceText: PASTED });
    await tdb.db.sequelize.query(`UPDATE jobs SET status = 'succeeded', finished_at = now() WHERE id = :id`, { replacements: { id: ids.jobId } });
    await enqueueForTest(queue, ids);
    const job = await queue.getJob(ids.jobId);
    const result = await job?.waitUntilFinished(events, 10_000);
    expect(result).toEqual({ outcome: 'already-terminal' });
    expect(await store.exists(objectKeys.meta(ids.articleId))).toBe(false);
  });
});

describe('sweeper', () => {
  it('enqueues a queued row that never reached the queue, once, even when several sweep at once', async () => {
    const ids = await createQueuedJob(tdb.db, { sourceText: PASTED });
    await tdb.db.sequelize.query(`UPDATE jobs SET updated_at = now() - interval '10 seconds' WHERE id = :id`, { replacements: { id: ids.jobId } });
    // A young queued row (the api may be adding it right now) is left alone.
    const young = await createQueuedJob(tdb.db, { sourceText: PASTED });
    const reports = await Promise.all([app.sweeper.sweep(), app.sweeper.sweep()]);
    expect(reports[0]?.enqueued).toContain(ids.jobId);
    expect(reports[0]?.enqueued).not.toContain(young.jobId);
    await waitFor(() => isTerminal(tdb.db, ids.jobId), 10_000, 'swept job to finish');
    expect(await jobRow(tdb.db, ids.jobId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    // A second sweep finds nothing more to do for it.
    expect((await app.sweeper.sweep()).enqueued).not.toContain(ids.jobId);
    await tdb.db.sequelize.query(`UPDATE jobs SET status = 'failed' WHERE id = :id`, { replacements: { id: young.jobId } });
  });

  it('marks failed a row whose queue job failed without the row being marked', async () => {
    const ids = await createQueuedJob(tdb.db, { sourceText: PASTED });
    await tdb.db.sequelize.query(`UPDATE jobs SET status = 'running', updated_at = now() - interval '10 seconds' WHERE id = :id`, { replacements: { id: ids.jobId } });
    // Simulate "job stalled more than allowable limit": a failed queue entry the processor never saw,
    // on a queue of its own that no worker consumes, swept by a sweeper of its own.
    const prefix = uniquePrefix('sweep');
    const ownQueue = createGenerateQueue(createRedis(getRedisUrl(), 'worker'), prefix);
    const sweeper = createSweeper({ rows: createJobRows(tdb.db), queue: ownQueue, logger: createLogger('sweep-test', 'silent'), intervalMs: 60_000, staleAfterMs: 1_000 });
    const manual = new Worker<GenerateJobData>(GENERATE_QUEUE, null, { connection: createRedis(getRedisUrl(), 'worker'), prefix });
    try {
      await enqueueForTest(ownQueue, ids, 1);
      const job = await manual.getNextJob('manual-token', { block: false });
      expect(job?.id).toBe(ids.jobId);
      await job?.moveToFailed(new Error('job stalled more than allowable limit'), 'manual-token', false);
    } finally {
      await manual.close();
    }
    const report = await sweeper.sweep();
    await ownQueue.obliterate({ force: true });
    await ownQueue.close();
    expect(report.failed).toContain(ids.jobId);
    expect(await jobRow(tdb.db, ids.jobId)).toMatchObject({ status: 'failed', error_code: 'internal', error_message: 'job stalled more than allowable limit' });
  });
});

describe('health server', () => {
  it('answers /healthz, /readyz and /metrics', async () => {
    const base = `http://127.0.0.1:${app.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'ok', redis: 'ok', objectStore: 'ok' } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/opad_worker_jobs_completed_total\{generator="offline"\} \d+/);
    expect(metrics).toMatch(/opad_worker_jobs_failed_total\{code="llm_rejected",final="true"\} 1/);
    expect(metrics).toMatch(/opad_worker_stage_duration_seconds_bucket\{le="[^"]+",stage="adapt"\}/);
    expect(metrics).toMatch(/opad_worker_active_jobs [0-9]/);
  });
});

// Keep the import of QueryTypes used for ad-hoc checks.
void QueryTypes;
