import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Queue, QueueEvents } from 'bullmq';
import { createTestDatabase, type TestDatabase } from '@opad/core/testing/database';
import { getRedisUrl, testQueueEvents, uniquePrefix } from '@opad/core/testing/redis';
import { waitFor } from '@opad/core/testing/ports';
import { createGenerateQueue, type GenerateJobData } from '@opad/core/queue';
import { createRedis } from '@opad/core/redis';
import { objectKeys } from '@opad/core/domain';
import { DiskObjectStore } from '@opad/core/storage/disk-object-store';
import { DEFAULT_USAGE, normal, startFakeOpenAIServer, type FakeOpenAIServer } from './testing/fake-openai-server.ts';
import { createQueuedJob, enqueueForTest, jobRow } from './testing/harness.ts';

/**
 * The worker as a real process (`node worker/src/main.ts`), killed and stopped with signals.
 * Short lock and stalled intervals so a killed worker's job comes back within seconds.
 */
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const TEXT = 'The town of Millbrook has put sixty floating gardens on its river to clean the water. '.repeat(12);

let tdb: TestDatabase;
let fake: FakeOpenAIServer;
let storageDir: string;
let prefix: string;
let queue: Queue<GenerateJobData>;
let events: QueueEvents;
const children = new Set<ChildProcess>();
let completions: string[] = [];

function startWorker(extraEnv: Record<string, string> = {}): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: tdb.url,
      REDIS_URL: getRedisUrl(),
      QUEUE_PREFIX: prefix,
      HEALTH_PORT: '0',
      LOG_LEVEL: 'info',
      STORAGE_DIR: storageDir,
      GENERATOR: 'openai',
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_MODEL: 'fake-model',
      OPENAI_MAX_RETRIES: '0',
      OPENAI_TIMEOUT_MS: '20000',
      WORKER_CONCURRENCY: '1',
      WORKER_LOCK_DURATION_MS: '1500',
      WORKER_STALLED_INTERVAL_MS: '1000',
      SWEEP_INTERVAL_MS: '60000',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  children.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    children.delete(child);
    resolve(code);
  }));
  return { child, exited, output: () => output };
}

beforeAll(async () => {
  [tdb, fake, storageDir] = await Promise.all([createTestDatabase('worker_proc'), startFakeOpenAIServer(), mkdtemp(join(tmpdir(), 'opad-worker-'))]);
  prefix = uniquePrefix('worker-proc');
  queue = createGenerateQueue(createRedis(getRedisUrl(), 'worker'), prefix);
  events = testQueueEvents(prefix);
  events.on('completed', ({ jobId }) => completions.push(jobId));
  await events.waitUntilReady();
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await events?.close();
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await Promise.all([tdb?.drop(), fake?.close(), rm(storageDir, { recursive: true, force: true })]);
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.script = normal;
  completions = [];
});

const storedJobId = async (articleId: string) => JSON.parse((await new DiskObjectStore(storageDir).getText(objectKeys.meta(articleId))) ?? '{}').jobId;

describe('worker process', () => {
  it('killed with SIGKILL mid-job: after a restart the job finishes exactly once', async () => {
    // The first LLM call never answers: the job is held mid-flight (stage adapt) when the worker dies.
    fake.script = (r) => (r.index === 0 ? { kind: 'hang' } : { kind: 'answer' });
    const ids = await createQueuedJob(tdb.db, { sourceText: TEXT });
    await enqueueForTest(queue, ids, 3);
    const first = startWorker();
    await waitFor(() => fake.requests.length === 1, 15_000, 'the first LLM call');
    expect((await jobRow(tdb.db, ids.jobId)).stage).toBe('adapt');
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const second = startWorker();
    await waitFor(async () => (await jobRow(tdb.db, ids.jobId)).status === 'succeeded', 20_000, 'the job to finish after the restart');
    const row = await jobRow(tdb.db, ids.jobId);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 2, input_tokens: 3 * DEFAULT_USAGE.prompt_tokens, output_tokens: 3 * DEFAULT_USAGE.completion_tokens });
    expect(await storedJobId(ids.articleId)).toBe(ids.jobId);
    // One hung call from the dead worker, then exactly one generation's three calls.
    expect(fake.requests.map((r) => r.schema)).toEqual(['adaptation', 'adaptation', 'review', 'vocabulary']);
    await waitFor(() => completions.includes(ids.jobId), 5_000, 'the completed event');
    await new Promise((r) => setTimeout(r, 1_500)); // a second completion would show up here
    expect(completions.filter((id) => id === ids.jobId)).toHaveLength(1);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('SIGTERM: stops taking jobs, lets the active job finish, exits 0', async () => {
    fake.script = (r) => ({ kind: 'answer', delayMs: r.index === 0 ? 1_500 : 0 });
    const worker = startWorker();
    const ids = await createQueuedJob(tdb.db, { sourceText: TEXT });
    await enqueueForTest(queue, ids, 3);
    await waitFor(() => fake.requests.length === 1, 15_000, 'the first LLM call');
    worker.child.kill('SIGTERM');
    // A job added after SIGTERM is not taken by this worker.
    const later = await createQueuedJob(tdb.db, { sourceText: TEXT });
    await enqueueForTest(queue, later, 3);
    expect(await worker.exited).toBe(0);
    expect(await jobRow(tdb.db, ids.jobId)).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await jobRow(tdb.db, later.jobId)).status).toBe('queued');
    expect(await queue.getJobState(later.jobId)).toBe('waiting');
    expect(worker.output()).toMatch(/worker stopped/);
    // The next worker takes it.
    const next = startWorker();
    await waitFor(async () => (await jobRow(tdb.db, later.jobId)).status === 'succeeded', 15_000, 'the later job');
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('SIGTERM past the shutdown timeout: the active job is released to another worker, not lost', async () => {
    fake.script = (r) => (r.index === 0 ? { kind: 'hang' } : { kind: 'answer' });
    const ids = await createQueuedJob(tdb.db, { sourceText: TEXT });
    await enqueueForTest(queue, ids, 3);
    const worker = startWorker({ WORKER_SHUTDOWN_TIMEOUT_MS: '300' });
    await waitFor(() => fake.requests.length === 1, 15_000, 'the first LLM call');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(worker.output()).toMatch(/released to another worker/);
    expect((await jobRow(tdb.db, ids.jobId)).status).toBe('queued');
    expect(await queue.getJobState(ids.jobId)).toBe('waiting');

    const next = startWorker();
    await waitFor(async () => (await jobRow(tdb.db, ids.jobId)).status === 'succeeded', 15_000, 'the released job');
    expect(await jobRow(tdb.db, ids.jobId)).toMatchObject({ attempts: 2, input_tokens: 3 * DEFAULT_USAGE.prompt_tokens });
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
  });

  it('a bad configuration stops the process naming the variable', async () => {
    const worker = startWorker({ DATABASE_URL: 'mysql://nope', WORKER_CONCURRENCY: 'zero' });
    expect(await worker.exited).toBe(78);
    expect(worker.output()).toMatch(/DATABASE_URL/);
    expect(worker.output()).toMatch(/WORKER_CONCURRENCY/);
  });
});
