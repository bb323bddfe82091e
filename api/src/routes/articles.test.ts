import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleListSchema, articleMetaSchema, articleSchema, errorBodySchema, generateResponseSchema, jobSchema } from '@opad/core/http-contract';
import { objectKeys } from '@opad/core/domain';
import { startApi, type ApiHarness } from '../testing/api-harness.ts';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => {
  await api.close();
});

const newArticle = async (body: Record<string, unknown> = {}) => {
  const res = await api.postJson('/articles', { sourceText: 'The city opened a new library on Monday.', language: 'en', level: 'B1', targetWords: 120, ...body });
  expect(res.status).toBe(201);
  return articleSchema.parse(await res.json());
};

describe('articles', () => {
  it('creates an article as a draft and reads it back', async () => {
    const created = await newArticle({ sourceTitle: 'Library news' });
    expect(created).toMatchObject({ status: 'draft', language: 'en', level: 'B1', targetWords: 120, latestJob: null });
    expect(created.source).toMatchObject({ kind: 'text', title: 'Library news' });
    const res = await api.request(`/articles/${created.id}`);
    expect(res.status).toBe(200);
    expect(articleSchema.parse(await res.json()).id).toBe(created.id);
  });

  it('defaults the target length and accepts a URL or a topic as the source', async () => {
    const byUrl = await newArticle({ sourceText: undefined, sourceUrl: 'https://news.example.org/story', targetWords: undefined });
    expect(byUrl.targetWords).toBe(150);
    expect(byUrl.source.kind).toBe('url');
    const byTopic = await newArticle({ sourceText: undefined, topic: 'climate' });
    expect(byTopic.source).toMatchObject({ kind: 'topic', topic: 'climate' });
  });

  it('lists newest first with keyset pagination and filters', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newArticle({ language: 'de', level: 'C2' })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = `/articles?language=de&level=C2&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = articleListSchema.parse(await (await api.request(qs)).json());
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((a) => a.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it('soft-deletes: gone from reads and lists, 404 on a second delete', async () => {
    const a = await newArticle();
    expect((await api.request(`/articles/${a.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api.request(`/articles/${a.id}`)).status).toBe(404);
    expect((await api.request(`/articles/${a.id}`, { method: 'DELETE' })).status).toBe(404);
    const list = articleListSchema.parse(await (await api.request('/articles?limit=100')).json());
    expect(list.items.map((i) => i.id)).not.toContain(a.id);
    const row = await api.database.db.models.Article.findByPk(a.id, { paranoid: false });
    expect(row?.deletedAt).toBeInstanceOf(Date);
  });
});

describe('generate', () => {
  it('answers 202 with a job id at once, then 200 with the same id while it is active', async () => {
    const a = await newArticle();
    const first = await api.request(`/articles/${a.id}/generate`, { method: 'POST' });
    expect(first.status).toBe(202);
    const { jobId } = generateResponseSchema.parse(await first.json());
    const again = await api.request(`/articles/${a.id}/generate`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(generateResponseSchema.parse(await again.json()).jobId).toBe(jobId);

    const job = jobSchema.parse(await (await api.request(`/jobs/${jobId}`)).json());
    expect(job).toMatchObject({ status: 'queued', articleId: a.id, progress: 0 });
    const queued = await api.services.queue.getJob(jobId);
    expect(queued?.data).toMatchObject({ jobId, articleId: a.id });
    const article = articleSchema.parse(await (await api.request(`/articles/${a.id}`)).json());
    expect(article.status).toBe('generating');
    expect(article.latestJob?.id).toBe(jobId);
  });

  it('turns 50 concurrent generate calls for one article into one job', async () => {
    const a = await newArticle();
    const responses = await Promise.all(Array.from({ length: 50 }, () => api.request(`/articles/${a.id}/generate`, { method: 'POST' })));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 202)).toBe(true);
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    const jobIds = new Set(await Promise.all(responses.map(async (r) => generateResponseSchema.parse(await r.json()).jobId)));
    expect(jobIds.size).toBe(1);
    expect(await api.database.db.models.Job.count({ where: { articleId: a.id } })).toBe(1);
    const [jobId] = [...jobIds];
    const counts = await api.services.queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    const inQueue = (await api.services.queue.getJobs(['wait'])).filter((j) => j.data.articleId === a.id);
    expect(inQueue.map((j) => j.id)).toEqual([jobId]);
    expect(counts.wait).toBeGreaterThanOrEqual(1);
  });

  it('keeps each article to its own job when many articles are generated at once (grouped statements)', async () => {
    const articles = await Promise.all(Array.from({ length: 30 }, () => newArticle()));
    const missing = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const targets = [...articles.map((a) => a.id), ...articles.map((a) => a.id), missing];
    const responses = await Promise.all(targets.map((id) => api.request(`/articles/${id}/generate`, { method: 'POST' })));
    expect(responses.at(-1)?.status).toBe(404);
    const byArticle = new Map<string, Set<string>>();
    let created = 0;
    for (const [i, res] of responses.slice(0, -1).entries()) {
      expect([200, 202]).toContain(res.status);
      if (res.status === 202) created++;
      const { jobId } = generateResponseSchema.parse(await res.json());
      const set = byArticle.get(targets[i]!) ?? new Set();
      set.add(jobId);
      byArticle.set(targets[i]!, set);
    }
    expect(created).toBe(30);
    for (const [articleId, jobIds] of byArticle) {
      expect(jobIds.size).toBe(1);
      const [jobId] = [...jobIds];
      expect((await api.services.queue.getJob(jobId!))?.data.articleId).toBe(articleId);
    }
    expect(await api.database.db.models.Job.count({ where: { articleId: articles.map((a) => a.id) } })).toBe(30);
  });

  it('serves content and meta only once the article is ready', async () => {
    const a = await newArticle();
    const early = await api.request(`/articles/${a.id}/content`);
    expect(early.status).toBe(409);
    expect(errorBodySchema.parse(await early.json()).error.code).toBe('not_ready');

    const { jobId } = generateResponseSchema.parse(await (await api.request(`/articles/${a.id}/generate`, { method: 'POST' })).json());
    const meta = {
      articleId: a.id,
      jobId,
      generator: 'offline',
      model: 'offline-extractive-v1',
      source: { kind: 'text', url: null, title: null, siteName: null, byline: null },
      params: { language: 'en', level: 'B1', targetWords: 120 },
      title: 'A new library',
      wordCount: 9,
      vocabulary: [{ word: 'library', definition: 'a place with books', example: null, partOfSpeech: 'noun' }],
      usage: { inputTokens: 0, outputTokens: 0 },
      notes: [],
      createdAt: new Date().toISOString(),
    };
    await api.services.store.put(objectKeys.adapted(a.id), '# A new library\n\nThe city opened a library.', 'text/markdown');
    await api.services.store.put(objectKeys.meta(a.id), JSON.stringify(meta), 'application/json');
    await api.database.db.models.Job.update({ status: 'succeeded', progress: 100 }, { where: { id: jobId } });
    await api.database.db.models.Article.update({ status: 'ready', title: 'A new library' }, { where: { id: a.id } });

    const content = await api.request(`/articles/${a.id}/content`);
    expect(content.status).toBe(200);
    expect(content.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await content.text()).toContain('The city opened a library.');
    const metaRes = await api.request(`/articles/${a.id}/meta`);
    expect(articleMetaSchema.parse(await metaRes.json()).vocabulary[0]?.word).toBe('library');

    // Generate again: the article reads as generating until the new job ends, and its old result
    // is not served as if it were current.
    const again = await api.request(`/articles/${a.id}/generate`, { method: 'POST' });
    expect(again.status).toBe(202);
    expect(articleSchema.parse(await (await api.request(`/articles/${a.id}`)).json()).status).toBe('generating');
    const during = await api.request(`/articles/${a.id}/content`);
    expect(during.status).toBe(409);
    expect(errorBodySchema.parse(await during.json()).error.details).toEqual({ status: 'generating' });
  });

  it('reads an article as generating from the moment its job is accepted, in lists and their filters too', async () => {
    const [waiting, idle] = [await newArticle({ language: 'ko', level: 'A2' }), await newArticle({ language: 'ko', level: 'A2' })];
    expect((await api.request(`/articles/${waiting.id}/generate`, { method: 'POST' })).status).toBe(202);
    const ids = async (status: string) =>
      articleListSchema.parse(await (await api.request(`/articles?language=ko&level=A2&status=${status}`)).json()).items.map((a) => [a.id, a.status]);
    expect(await ids('generating')).toEqual([[waiting.id, 'generating']]);
    expect(await ids('draft')).toEqual([[idle.id, 'draft']]);

    // Once the job has ended, the stored status is what readers see again.
    await api.database.db.models.Job.update({ status: 'failed', errorCode: 'source_unreachable' }, { where: { articleId: waiting.id } });
    await api.database.db.models.Article.update({ status: 'failed' }, { where: { id: waiting.id } });
    expect(await ids('generating')).toEqual([]);
    expect(await ids('failed')).toEqual([[waiting.id, 'failed']]);
  });
});

describe('bad input gets the right 4xx with the JSON error, never a 5xx', () => {
  const uuid = '3f0e9a8e-2c1b-4a5d-9e8f-0a1b2c3d4e5f';
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['malformed JSON', () => api.request('/articles', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"language": "en",' }), 400, 'invalid_json'],
    ['wrong types', () => api.postJson('/articles', { sourceText: 42, language: 'en', level: 'B1', targetWords: 'many' }), 400, 'invalid_request'],
    ['unknown level', () => api.postJson('/articles', { sourceText: 'x y z', language: 'en', level: 'D1' }), 400, 'invalid_request'],
    ['unknown language', () => api.postJson('/articles', { sourceText: 'x y z', language: 'xx', level: 'A1' }), 400, 'invalid_request'],
    ['no source', () => api.postJson('/articles', { language: 'en', level: 'A1' }), 400, 'invalid_request'],
    ['two sources', () => api.postJson('/articles', { sourceText: 'a b', topic: 'news', language: 'en', level: 'A1' }), 400, 'invalid_request'],
    ['a private-scheme URL', () => api.postJson('/articles', { sourceUrl: 'file:///etc/passwd', language: 'en', level: 'A1' }), 400, 'invalid_request'],
    ['unknown field', () => api.postJson('/articles', { sourceText: 'a b', language: 'en', level: 'A1', admin: true }), 400, 'invalid_request'],
    ['a JSON array body', () => api.postJson('/articles', [1, 2]), 400, 'invalid_request'],
    ['a 5 MB body', () => api.postJson('/articles', { sourceText: 'x'.repeat(5 * 1024 * 1024), language: 'en', level: 'A1' }), 413, 'payload_too_large'],
    ['wrong content type', () => api.request('/articles', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }), 415, 'unsupported_media_type'],
    ['form-encoded body', () => api.request('/articles', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'level=A1' }), 415, 'unsupported_media_type'],
    ['a bad UUID', () => api.request('/articles/not-a-uuid'), 400, 'invalid_request'],
    ['a bad UUID on generate', () => api.request('/articles/123/generate', { method: 'POST' }), 400, 'invalid_request'],
    ['a bad job UUID', () => api.request('/jobs/xyz'), 400, 'invalid_request'],
    ['a missing article', () => api.request(`/articles/${uuid}`), 404, 'not_found'],
    ['generate for a missing article', () => api.request(`/articles/${uuid}/generate`, { method: 'POST' }), 404, 'not_found'],
    ['a missing job', () => api.request(`/jobs/${uuid}`), 404, 'not_found'],
    ['events of a missing job', () => api.request(`/jobs/${uuid}/events`), 404, 'not_found'],
    ['a bad limit', () => api.request('/articles?limit=1000'), 400, 'invalid_request'],
    ['an unknown filter value', () => api.request('/articles?status=done'), 400, 'invalid_request'],
    ['a forged cursor', () => api.request('/articles?cursor=bm9wZQ'), 400, 'invalid_request'],
    ['an unknown route', () => api.request('/nope'), 404, 'not_found'],
  ];

  it.each(cases)('%s', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = errorBodySchema.parse(await res.json());
    expect(body.error.code).toBe(code);
    expect(body.error.message.length).toBeGreaterThan(5);
  });

  it('names the field that failed, for forms to show beside it', async () => {
    const res = await api.postJson('/articles', { sourceText: 'x y', language: 'en', level: 'Z9', targetWords: 5 });
    const body = errorBodySchema.parse(await res.json());
    const details = body.error.details as { fieldErrors: Record<string, string[]> };
    expect(Object.keys(details.fieldErrors).sort()).toEqual(['level', 'targetWords']);
  });
});

describe('service endpoints', () => {
  it('reports liveness and readiness of every dependency', async () => {
    expect((await api.request('/healthz')).status).toBe(200);
    const ready = await api.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true }, objectStore: { ok: true } } });
  });

  it('exposes Prometheus metrics labelled by route template', async () => {
    await api.request('/articles?limit=1');
    const text = await (await api.request('/metrics')).text();
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/articles"/);
    expect(text).toContain('process_resident_memory_bytes');
    // Earlier tests in this file created jobs and hit active ones.
    expect(text).toMatch(/opad_generate_requests_total\{[^}]*outcome="created"[^}]*\} [1-9]/);
    expect(text).toMatch(/opad_generate_requests_total\{[^}]*outcome="existing"[^}]*\} [1-9]/);
  });

  it('describes every endpoint in an OpenAPI 3.1 document generated from the schemas', async () => {
    const doc = (await (await api.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    for (const [path, method] of [
      ['/articles', 'post'],
      ['/articles', 'get'],
      ['/articles/{id}', 'get'],
      ['/articles/{id}', 'delete'],
      ['/articles/{id}/generate', 'post'],
      ['/articles/{id}/content', 'get'],
      ['/articles/{id}/meta', 'get'],
      ['/jobs/{id}', 'get'],
      ['/jobs/{id}/events', 'get'],
      ['/healthz', 'get'],
      ['/readyz', 'get'],
      ['/metrics', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method], `${method.toUpperCase()} ${path}`).toBeDefined();
    }
    expect(doc.components.schemas.CreateArticle?.properties?.level?.enum).toEqual(['A1', 'A2', 'B1', 'B2', 'C1', 'C2']);
  });
});
