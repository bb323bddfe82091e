import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '@opad/core/testing/redis';
import { freePort, waitFor } from '@opad/core/testing/ports';
import { articleSchema, errorBodySchema, generateResponseSchema } from '@opad/core/http-contract';
import { startApi, type ApiHarness } from '../testing/api-harness.ts';

let redis: RedisServerHandle;
let api: ApiHarness;
beforeAll(async () => {
  redis = await startRedisServer();
  api = await startApi({ REDIS_URL: redis.url, RATE_LIMIT_WRITES_PER_MINUTE: '5' });
});
afterAll(async () => {
  await api.close();
  await redis.stop();
});

it('answers 503 within a second while Redis is down, keeps the job, and enqueues it once Redis is back', async () => {
  const article = articleSchema.parse(await (await api.postJson('/articles', { topic: 'weather', language: 'en', level: 'A1' })).json());
  await redis.stop();
  // Once the api has seen its connection drop (as it does within milliseconds of an outage), it
  // waits for the queue before answering; a request racing the very moment Redis dies is answered
  // 202 from its committed row and its job is added by the sweeper.
  await waitFor(async () => api.services.redis.status !== 'ready', 2_000, 'the api to see Redis go');

  const started = performance.now();
  const res = await api.request(`/articles/${article.id}/generate`, { method: 'POST' });
  const elapsed = performance.now() - started;
  expect(res.status).toBe(503);
  expect(elapsed).toBeLessThan(1_000);
  expect(res.headers.get('retry-after')).toBeTruthy();
  const body = errorBodySchema.parse(await res.json());
  expect(body.error.code).toBe('dependency_unavailable');
  const { jobId } = body.error.details as { jobId: string };
  const row = await api.database.db.models.Job.findByPk(jobId);
  expect(row?.status).toBe('queued');

  const ready = await api.request('/readyz');
  expect(ready.status).toBe(503);
  expect(await ready.json()).toMatchObject({ checks: { redis: { ok: false }, postgres: { ok: true } } });

  await redis.start();
  await waitFor(async () => (await api.request('/readyz')).status === 200, 10_000, 'api ready again');
  // The same request now heals the missing queue entry and returns the same job.
  const again = await api.request(`/articles/${article.id}/generate`, { method: 'POST' });
  expect(again.status).toBe(200);
  expect(generateResponseSchema.parse(await again.json()).jobId).toBe(jobId);
  expect((await api.services.queue.getJob(jobId))?.data.articleId).toBe(article.id);
});

it('limits writes per client with 429 and Retry-After', async () => {
  const statuses: number[] = [];
  let retryAfter: string | null = null;
  for (let i = 0; i < 8; i++) {
    const res = await api.postJson('/articles', { topic: `topic ${i}`, language: 'en', level: 'A1' });
    statuses.push(res.status);
    if (res.status === 429) {
      retryAfter = res.headers.get('retry-after');
      expect(errorBodySchema.parse(await res.json()).error.code).toBe('rate_limited');
    }
  }
  expect(statuses).toContain(429);
  expect(Number(retryAfter)).toBeGreaterThan(0);
  // Reads are never limited.
  expect((await api.request('/articles')).status).toBe(200);
});

it('answers a clean 503 naming the database when Postgres cannot be reached, for reads and writes alike', async () => {
  const unreachable = await startApi({ DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/opad` });
  try {
    const attempts = [
      unreachable.request('/articles'),
      unreachable.request('/articles/7b0c7e0e-5d7c-4a0b-9d43-3f2d9f1c2a11'),
      unreachable.postJson('/articles', { topic: 'weather', language: 'en', level: 'A1' }),
      unreachable.request('/articles/7b0c7e0e-5d7c-4a0b-9d43-3f2d9f1c2a11/generate', { method: 'POST' }),
      unreachable.request('/jobs/7b0c7e0e-5d7c-4a0b-9d43-3f2d9f1c2a11'),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(503);
      const body = errorBodySchema.parse(await res.json());
      expect(body.error).toMatchObject({ code: 'dependency_unavailable', details: { dependency: 'database' } });
    }
    expect((await unreachable.request('/readyz')).status).toBe(503);
  } finally {
    await unreachable.close();
  }
});
