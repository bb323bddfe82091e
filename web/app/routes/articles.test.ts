import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '@opad/core/testing/ports';
import { startFakeApi, type FakeApi } from '../../test/fake-api.ts';
import { ctx, useApi } from '../../test/env.ts';
import * as list from './articles._index.tsx';
import * as detail from './articles.$id.tsx';
import * as jobs from './jobs.$jobId.tsx';
import * as events from './jobs.$jobId.events.ts';

let fake: FakeApi;
beforeAll(async () => {
  fake = await startFakeApi();
});
beforeEach(() => {
  useApi(fake.url);
  fake.articles.clear();
  fake.jobs.clear();
});
afterAll(() => fake.close());

const post = (path: string, fields: Record<string, string>) =>
  new Request(`http://web${path}`, { method: 'POST', body: new URLSearchParams(fields) });

async function thrown(p: Promise<unknown>): Promise<Response> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Response) return e;
    throw e;
  }
  throw new Error('expected a thrown Response');
}

describe('/articles loader', () => {
  it('lists newest first with filters and keyset pagination passed to the api', async () => {
    for (let i = 0; i < 3; i++) fake.seedArticle({ level: 'A2' });
    fake.seedArticle({ level: 'C1' });
    const res = (await list.loader({ request: new Request('http://web/articles?level=A2&limit=2&status=bogus'), params: {}, context: ctx })) as Response;
    const data = await res.json();
    expect(data.list.items).toHaveLength(2);
    expect(data.list.nextCursor).toBeTruthy();
    expect(data.query).toEqual({ level: 'A2', limit: 2 }); // the bogus status is ignored
    const next = (await list.loader({ request: new Request(`http://web/articles?level=A2&limit=2&cursor=${data.list.nextCursor}`), params: {}, context: ctx })) as Response;
    expect((await next.json()).list.items).toHaveLength(1);
  });

  it('throws a friendly 503 when the api is down', async () => {
    useApi(`http://127.0.0.1:${await freePort()}`);
    const res = await thrown(list.loader({ request: new Request('http://web/articles'), params: {}, context: ctx }));
    expect(res.status).toBe(503);
    const body = await res.json();
    expect(body.kind).toBe('api_unavailable');
    expect(body.message).not.toMatch(/ECONNREFUSED|at /);
  });
});

describe('/articles action', () => {
  it('creates, starts generation and redirects to the progress page', async () => {
    const res = (await list.action({
      request: post('/articles', { intent: 'create', sourceKind: 'text', sourceText: 'A short news text.', language: 'fr', level: 'A1', targetWords: '100' }),
      params: {},
      context: ctx,
    })) as Response;
    expect(res.status).toBe(302);
    const [job] = [...fake.jobs.values()];
    expect(res.headers.get('location')).toBe(`/jobs/${job!.id}`);
    const [article] = [...fake.articles.values()];
    expect(article).toMatchObject({ language: 'fr', level: 'A1', targetWords: 100, status: 'generating' });
  });

  it('returns 400 with field errors and the input kept, without calling the api', async () => {
    const before = fake.requests.length;
    const res = (await list.action({
      request: post('/articles', { intent: 'create', sourceKind: 'url', sourceUrl: 'javascript:alert(1)', language: 'en', level: 'B1', targetWords: '150' }),
      params: {},
      context: ctx,
    })) as Response;
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.errors.sourceUrl[0]).toMatch(/http/);
    expect(body.values.sourceUrl).toBe('javascript:alert(1)');
    expect(fake.requests.length).toBe(before);
  });
});

describe('/articles/:id', () => {
  it('loads a ready article with its content and meta', async () => {
    const a = fake.seedArticle();
    const job = await makeJob(a.id);
    fake.jobs.set(job.id, job);
    fake.finishJob(job.id, '# Title\n\nHello world.');
    const res = (await detail.loader({ request: new Request(`http://web/articles/${a.id}`), params: { id: a.id }, context: ctx })) as Response;
    const data = await res.json();
    expect(data.content).toContain('Hello world.');
    expect(data.meta.generator).toBe('offline');
  });

  it('404s for an id that is not a uuid or does not exist', async () => {
    expect((await thrown(detail.loader({ request: new Request('http://web/articles/x'), params: { id: 'x' }, context: ctx }))).status).toBe(404);
    const id = '00000000-0000-4000-8000-000000000000';
    expect((await thrown(detail.loader({ request: new Request(`http://web/articles/${id}`), params: { id }, context: ctx }))).status).toBe(404);
  });

  it('regenerates and deletes', async () => {
    const a = fake.seedArticle();
    const gen = (await detail.action({ request: post(`/articles/${a.id}`, { intent: 'generate' }), params: { id: a.id }, context: ctx })) as Response;
    expect(gen.headers.get('location')).toMatch(/^\/jobs\//);
    const del = (await detail.action({ request: post(`/articles/${a.id}`, { intent: 'delete' }), params: { id: a.id }, context: ctx })) as Response;
    expect(del.headers.get('location')).toBe('/articles?deleted=1');
    expect(fake.articles.has(a.id)).toBe(false);
  });
});

describe('/jobs/:jobId', () => {
  it('shows a running job and moves on to the article when it succeeded', async () => {
    const a = fake.seedArticle();
    const gen = await (await fetch(`${fake.url}/articles/${a.id}/generate`, { method: 'POST' })).json();
    const res = (await jobs.loader({ request: new Request(`http://web/jobs/${gen.jobId}`), params: { jobId: gen.jobId }, context: ctx })) as Response;
    expect((await res.json()).job.status).toBe('queued');
    fake.finishJob(gen.jobId, 'Done.');
    const done = (await jobs.loader({ request: new Request(`http://web/jobs/${gen.jobId}`), params: { jobId: gen.jobId }, context: ctx })) as Response;
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(`/articles/${a.id}`);
  });

  it('streams the api events through the web', async () => {
    const a = fake.seedArticle();
    const gen = await (await fetch(`${fake.url}/articles/${a.id}/generate`, { method: 'POST' })).json();
    const base = { jobId: gen.jobId, error: null };
    fake.script.set(gen.jobId, [
      { ...base, status: 'running', progress: 35, stage: 'adapt' },
      { ...base, status: 'succeeded', progress: 100, stage: 'store' },
    ]);
    const res = (await events.loader({ request: new Request(`http://web/jobs/${gen.jobId}/events`), params: { jobId: gen.jobId }, context: ctx })) as Response;
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('cache-control')).toMatch(/no-transform/);
    const text = await res.text();
    expect(text.match(/event: progress/g)).toHaveLength(2);
    expect(text).toMatch(/event: end\ndata: .*"succeeded"/);
  });

  it('answers 503 on the events route when the api is down', async () => {
    useApi(`http://127.0.0.1:${await freePort()}`);
    const id = '00000000-0000-4000-8000-000000000000';
    const res = (await events.loader({ request: new Request(`http://web/jobs/${id}/events`), params: { jobId: id }, context: ctx })) as Response;
    expect(res.status).toBe(503);
  });
});

async function makeJob(articleId: string) {
  return {
    id: crypto.randomUUID(),
    articleId,
    status: 'running' as const,
    progress: 50,
    stage: 'adapt' as const,
    attempts: 1,
    error: null,
    usage: { inputTokens: 0, outputTokens: 0 },
    createdAt: new Date().toISOString(),
    startedAt: null,
    finishedAt: null,
  };
}
