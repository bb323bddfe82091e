/**
 * Nothing accepted is lost, across processes: with the real api and worker on a Redis of the
 * test's own, Redis goes away during POST /articles/:id/generate (→ 503 within a second, the job
 * row kept), comes back empty, and the worker's sweeper enqueues the row so the job runs.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, type RedisServerHandle } from '@opad/core/testing/redis';
import { waitFor } from '@opad/core/testing/ports';
import { articleSchema, errorBodySchema, jobSchema } from '@opad/core/http-contract';
import { startStack, type Stack } from './support/stack.ts';

let redis: RedisServerHandle;
let stack: Stack;
beforeAll(async () => {
  redis = await startRedisServer();
  stack = await startStack({ redisUrl: redis.url });
});
afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

it('answers 503 within a second while Redis is down, and runs the job once Redis is back', async () => {
  const created = await fetch(`${stack.apiUrl}/articles`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      sourceText: 'The river flooded the old town on Sunday. Volunteers filled sandbags through the night, and the mayor thanked them in the morning. Schools will stay closed until Wednesday while engineers check the bridges.',
      language: 'en',
      level: 'B1',
      targetWords: 40,
    }),
  });
  const article = articleSchema.parse(await created.json());

  await redis.stop();
  // Once the api has seen Redis go (within milliseconds of an outage), it waits for the queue
  // before answering; a request racing that moment is answered 202 and swept like this one.
  await waitFor(async () => (await fetch(`${stack.apiUrl}/readyz`)).status === 503, 5_000, 'the api to see Redis go', 50);
  const started = performance.now();
  const refused = await fetch(`${stack.apiUrl}/articles/${article.id}/generate`, { method: 'POST' });
  const elapsed = performance.now() - started;
  expect(refused.status).toBe(503);
  expect(elapsed).toBeLessThan(1_000);
  const { jobId } = errorBodySchema.parse(await refused.json()).error.details as { jobId: string };

  await redis.start(); // a fresh, empty Redis: the queue never saw the job
  await waitFor(
    async () => jobSchema.parse(await (await fetch(`${stack.apiUrl}/jobs/${jobId}`)).json()).status === 'succeeded',
    30_000,
    'the swept job to succeed',
    250,
  );
  const content = await fetch(`${stack.apiUrl}/articles/${article.id}/content`);
  expect(content.status).toBe(200);
  expect(await content.text()).toContain('sandbags');
  const job = jobSchema.parse(await (await fetch(`${stack.apiUrl}/jobs/${jobId}`)).json());
  expect(job.attempts).toBe(1);
});
