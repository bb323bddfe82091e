import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { articleSchema, generateResponseSchema } from '@opad/core/http-contract';
import { createRedis } from '@opad/core/redis';
import { startRedisServer, type RedisServerHandle } from '@opad/core/testing/redis';
import { waitFor } from '@opad/core/testing/ports';
import { startApi, type ApiHarness } from '../testing/api-harness.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

/** The queue entry follows the answer (the api's outbox): wait for it instead of racing it. */
async function queuedArticleOf(harness: ApiHarness, jobId: string): Promise<string> {
  let articleId = '';
  await waitFor(async () => Boolean((articleId = (await harness.services.queue.getJob(jobId))?.data.articleId ?? '')), 5_000, `queue entry of ${jobId}`);
  return articleId;
}

async function createArticle(): Promise<string> {
  const res = await api.postJson('/articles', { sourceText: 'A short text to adapt for a reader.', language: 'en', level: 'B1' });
  return articleSchema.parse(await res.json()).id;
}

it('a stalled statement does not hold up the generate requests that come after it', async () => {
  const stuck = await createArticle();
  const other = await createArticle();

  // Another session holds the first article's row, so the statement that creates its job waits.
  const locker = new pg.Client({ connectionString: api.database.url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM articles WHERE id = $1 FOR UPDATE', [stuck]);

    const stuckAnswer = api.request(`/articles/${stuck}/generate`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 100)); // its statement is in flight and waiting

    const started = performance.now();
    const otherAnswer = await api.request(`/articles/${other}/generate`, { method: 'POST' });
    expect(otherAnswer.status).toBe(202);
    expect(performance.now() - started).toBeLessThan(1_000);

    await locker.query('COMMIT');
    const answer = await stuckAnswer;
    expect(answer.status).toBe(202);
    const { jobId } = generateResponseSchema.parse(await answer.json());
    expect(await queuedArticleOf(api, jobId)).toBe(stuck);
  } finally {
    await locker.end();
  }
});

it('answers 40 concurrent requests for different articles each with its own job, each in the queue', async () => {
  const ids = await Promise.all(Array.from({ length: 40 }, () => createArticle()));
  const answers = await Promise.all(ids.map((id) => api.request(`/articles/${id}/generate`, { method: 'POST' })));
  expect(answers.map((a) => a.status)).toEqual(ids.map(() => 202));
  const jobIds = await Promise.all(answers.map(async (a) => generateResponseSchema.parse(await a.json()).jobId));
  expect(new Set(jobIds).size).toBe(40);
  expect(await Promise.all(jobIds.map((jobId) => queuedArticleOf(api, jobId)))).toEqual(ids);
});

it('answers once the job row is committed, without waiting for a slow Redis; the queue entry follows', async () => {
  // A Redis of this test's own, so pausing it touches no other test.
  const server: RedisServerHandle = await startRedisServer();
  const slow = await startApi({ REDIS_URL: server.url });
  const admin = createRedis(server.url, 'worker');
  try {
    const created = await slow.postJson('/articles', { sourceText: 'A short text to adapt for a reader.', language: 'en', level: 'B1' });
    const article = articleSchema.parse(await created.json());
    await waitFor(async () => (await slow.request('/readyz')).status === 200, 5_000, 'api ready');

    await admin.call('CLIENT', 'PAUSE', '700', 'ALL'); // Redis answers no one for 0.7 s
    const started = performance.now();
    const answer = await slow.request(`/articles/${article.id}/generate`, { method: 'POST' });
    expect(answer.status).toBe(202);
    expect(performance.now() - started).toBeLessThan(500);
    const { jobId } = generateResponseSchema.parse(await answer.json());
    expect((await slow.database.db.models.Job.findByPk(jobId))?.status).toBe('queued');

    expect(await queuedArticleOf(slow, jobId)).toBe(article.id);
  } finally {
    admin.disconnect();
    await slow.close();
    await server.stop();
  }
});
