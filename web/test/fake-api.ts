import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { createArticleSchema, type ArticleDto, type ArticleMeta, type JobDto, type JobEvent } from '@opad/core/http-contract';

/**
 * A small, real HTTP server that speaks the api's contract (DESIGN.md), in memory. Loader and
 * action tests and the render benchmark run against it so only the web is exercised.
 */
export interface FakeApi {
  url: string;
  articles: Map<string, ArticleDto>;
  jobs: Map<string, JobDto>;
  content: Map<string, { markdown: string; meta: ArticleMeta }>;
  requests: Array<{ method: string; url: string; body: unknown }>;
  /** Extra delay before each answer (a slow api). */
  delayMs: number;
  /** Events sent on /jobs/:id/events after the first one, `gapMs` apart. */
  script: Map<string, JobEvent[]>;
  gapMs: number;
  seedArticle(partial?: Partial<ArticleDto>): ArticleDto;
  finishJob(jobId: string, markdown: string, meta?: Partial<ArticleMeta>): void;
  close(): Promise<void>;
}

const now = () => new Date().toISOString();

export async function startFakeApi(): Promise<FakeApi> {
  const articles = new Map<string, ArticleDto>();
  const jobs = new Map<string, JobDto>();
  const content = new Map<string, { markdown: string; meta: ArticleMeta }>();
  const requests: FakeApi['requests'] = [];
  const script = new Map<string, JobEvent[]>();
  let seq = 0;

  const send = (res: ServerResponse, status: number, body?: unknown, type = 'application/json') => {
    res.writeHead(status, body === undefined ? {} : { 'content-type': type });
    res.end(body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : String(body));
  };
  const error = (res: ServerResponse, status: number, code: string, message: string, details?: unknown) =>
    send(res, status, { error: { code, message, ...(details === undefined ? {} : { details }) } });

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    return text ? JSON.parse(text) : undefined;
  };

  const makeJob = (articleId: string): JobDto => ({
    id: randomUUID(),
    articleId,
    status: 'queued',
    progress: 0,
    stage: null,
    attempts: 0,
    error: null,
    usage: { inputTokens: 0, outputTokens: 0 },
    createdAt: now(),
    startedAt: null,
    finishedAt: null,
  });

  const toEvent = (job: JobDto): JobEvent => ({ jobId: job.id, status: job.status, progress: job.progress, stage: job.stage, error: job.error });

  const api: FakeApi = {
    url: '',
    articles,
    jobs,
    content,
    requests,
    delayMs: 0,
    script,
    gapMs: 20,
    seedArticle(partial = {}) {
      const t = new Date(Date.now() + seq++).toISOString();
      const article: ArticleDto = {
        id: randomUUID(),
        status: 'draft',
        title: null,
        language: 'en',
        level: 'B1',
        targetWords: 150,
        source: { kind: 'text', url: null, title: 'Seeded article', topic: null, excerpt: 'Some text' },
        createdAt: t,
        updatedAt: t,
        latestJob: null,
        ...partial,
      };
      articles.set(article.id, article);
      return article;
    },
    finishJob(jobId, markdown, meta = {}) {
      const job = jobs.get(jobId)!;
      Object.assign(job, { status: 'succeeded', progress: 100, stage: 'store', finishedAt: now(), usage: { inputTokens: 0, outputTokens: 0 } });
      const article = articles.get(job.articleId)!;
      article.status = 'ready';
      article.title = meta.title ?? 'A finished text';
      article.latestJob = job;
      content.set(article.id, {
        markdown,
        meta: {
          articleId: article.id,
          jobId,
          generator: 'offline',
          model: 'offline-extractive-v1',
          source: { kind: article.source.kind, url: article.source.url, title: article.source.title, siteName: null, byline: null },
          params: { language: article.language, level: article.level, targetWords: article.targetWords },
          title: article.title,
          wordCount: markdown.split(/\s+/).filter(Boolean).length,
          vocabulary: [],
          usage: { inputTokens: 0, outputTokens: 0 },
          notes: [],
          createdAt: now(),
          ...meta,
        },
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = req.method === 'POST' ? await readBody(req).catch(() => undefined) : undefined;
    requests.push({ method: req.method ?? 'GET', url: url.pathname + url.search, body });
    if (api.delayMs > 0) await new Promise((r) => setTimeout(r, api.delayMs));
    const parts = url.pathname.split('/').filter(Boolean);

    if (parts[0] === 'articles' && parts.length === 1 && req.method === 'POST') {
      const parsed = createArticleSchema.safeParse(body);
      if (!parsed.success) return error(res, 400, 'invalid_input', 'Invalid input', { fieldErrors: z.flattenError(parsed.error).fieldErrors });
      const input = parsed.data;
      const kind = input.sourceUrl ? 'url' : input.topic ? 'topic' : 'text';
      const article = api.seedArticle({
        language: input.language,
        level: input.level,
        targetWords: input.targetWords,
        source: {
          kind,
          url: input.sourceUrl ?? null,
          title: input.sourceTitle ?? null,
          topic: input.topic ?? null,
          excerpt: input.sourceText?.slice(0, 200) ?? null,
        },
      });
      return send(res, 201, article);
    }
    if (parts[0] === 'articles' && parts.length === 1 && req.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const filters = ['status', 'language', 'level'] as const;
      let items = [...articles.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      for (const f of filters) {
        const v = url.searchParams.get(f);
        if (v) items = items.filter((a) => a[f] === v);
      }
      const cursor = url.searchParams.get('cursor');
      const start = cursor ? Number(Buffer.from(cursor, 'base64url').toString()) : 0;
      const page = items.slice(start, start + limit);
      const nextCursor = start + limit < items.length ? Buffer.from(String(start + limit)).toString('base64url') : null;
      return send(res, 200, { items: page, nextCursor });
    }
    if (parts[0] === 'articles' && parts[1]) {
      const article = articles.get(parts[1]);
      if (!article) return error(res, 404, 'not_found', 'article not found');
      if (parts.length === 2 && req.method === 'GET') return send(res, 200, article);
      if (parts.length === 2 && req.method === 'DELETE') {
        articles.delete(article.id);
        return send(res, 204);
      }
      if (parts[2] === 'generate' && req.method === 'POST') {
        const active = article.latestJob && (article.latestJob.status === 'queued' || article.latestJob.status === 'running');
        if (active) return send(res, 200, { jobId: article.latestJob!.id, status: article.latestJob!.status });
        const job = makeJob(article.id);
        jobs.set(job.id, job);
        article.latestJob = job;
        article.status = 'generating';
        return send(res, 202, { jobId: job.id, status: job.status });
      }
      const done = content.get(article.id);
      if (parts[2] === 'content') return done ? send(res, 200, done.markdown, 'text/markdown; charset=utf-8') : error(res, 409, 'not_ready', 'not ready');
      if (parts[2] === 'meta') return done ? send(res, 200, done.meta) : error(res, 409, 'not_ready', 'not ready');
    }
    if (parts[0] === 'jobs' && parts[1]) {
      const job = jobs.get(parts[1]);
      if (!job) return error(res, 404, 'not_found', 'job not found');
      if (parts.length === 2) return send(res, 200, job);
      if (parts[2] === 'events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const events = [toEvent(job), ...(script.get(job.id) ?? [])];
        for (const [i, event] of events.entries()) {
          if (i > 0) await new Promise((r) => setTimeout(r, api.gapMs));
          const terminal = event.status === 'succeeded' || event.status === 'failed';
          res.write(`event: ${terminal ? 'end' : 'progress'}\ndata: ${JSON.stringify(event)}\n\n`);
          if (terminal) break;
        }
        return res.end();
      }
    }
    return error(res, 404, 'not_found', 'no such route');
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return api;
}
