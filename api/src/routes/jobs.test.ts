import { afterAll, beforeAll, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import { createRedis } from '@opad/core/redis';
import { GENERATE_QUEUE, type GenerateJobData, type JobProgress } from '@opad/core/queue';
import { STAGES, STAGE_PROGRESS } from '@opad/core/domain';
import { articleSchema, generateResponseSchema, jobEventSchema, type JobEvent } from '@opad/core/http-contract';
import { startApi, type ApiHarness } from '../testing/api-harness.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

/** Reads an SSE response into (event, data) pairs until the stream ends. */
async function readEvents(res: Response): Promise<Array<{ event: string; data: JobEvent }>> {
  const out: Array<{ event: string; data: JobEvent }> = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) out.push({ event, data: jobEventSchema.parse(JSON.parse(data)) });
    }
  }
  return out;
}

it('streams progress over SSE from queue events until the job ends', async () => {
  const created = await api.postJson('/articles', { sourceText: 'Some text to adapt for a reader.', language: 'fr', level: 'A2' });
  const article = articleSchema.parse(await created.json());
  const { jobId } = generateResponseSchema.parse(await (await api.request(`/articles/${article.id}/generate`, { method: 'POST' })).json());

  const stream = await api.request(`/jobs/${jobId}/events`);
  expect(stream.status).toBe(200);
  expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const events = readEvents(stream);

  // A stand-in worker that moves the row and reports progress the way the real one does.
  const { Job } = api.database.db.models;
  const worker = new Worker<GenerateJobData>(
    GENERATE_QUEUE,
    async (job) => {
      await Job.update({ status: 'running', startedAt: new Date() }, { where: { id: job.data.jobId } });
      for (const stage of STAGES) {
        const progress: JobProgress = { stage, progress: STAGE_PROGRESS[stage] };
        await Job.update(progress, { where: { id: job.data.jobId } });
        await job.updateProgress(progress);
        await new Promise((r) => setTimeout(r, 30));
      }
      await Job.update({ status: 'succeeded', progress: 100, finishedAt: new Date() }, { where: { id: job.data.jobId } });
    },
    { connection: createRedis(api.config.REDIS_URL, 'worker'), prefix: api.config.QUEUE_PREFIX },
  );
  try {
    const received = await events;
    const progress = received.filter((e) => e.event === 'progress');
    expect(progress[0]?.data).toMatchObject({ jobId, status: 'queued' });
    const stagesSeen = new Set(progress.map((e) => e.data.stage).filter(Boolean));
    expect(stagesSeen.size).toBeGreaterThanOrEqual(3);
    const percents = progress.map((e) => e.data.progress);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents);
    expect(received.at(-1)).toMatchObject({ event: 'end', data: { status: 'succeeded', progress: 100 } });
  } finally {
    await worker.close();
  }
});

it('ends the stream at once for a job that has already finished', async () => {
  const created = await api.postJson('/articles', { sourceText: 'Another text.', language: 'es', level: 'B2' });
  const article = articleSchema.parse(await created.json());
  const { jobId } = generateResponseSchema.parse(await (await api.request(`/articles/${article.id}/generate`, { method: 'POST' })).json());
  await api.database.db.models.Job.update({ status: 'failed', errorCode: 'source_unreadable', errorMessage: 'No readable article text was found at the source.' }, { where: { id: jobId } });
  const received = await readEvents(await api.request(`/jobs/${jobId}/events`));
  expect(received.at(-1)).toMatchObject({ event: 'end', data: { status: 'failed', error: { code: 'source_unreadable' } } });
});
