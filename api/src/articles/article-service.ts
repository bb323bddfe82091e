import type { Queue } from 'bullmq';
import { AppError, dependencyUnavailable, notFound } from '@opad/core/errors';
import type { PgPool } from '@opad/core/db/pg-pool';
import type { ArticleRecord } from '@opad/core/db/records';
import { objectKeys, type JobStatus } from '@opad/core/domain';
import type { ArticleDto, ArticleListDto, ArticleMeta, CreateArticleInput, ListArticlesQuery } from '@opad/core/http-contract';
import { articleMetaSchema } from '@opad/core/http-contract';
import { enqueueGenerate, type GenerateJobData } from '@opad/core/queue';
import type { ObjectStore } from '@opad/core/storage/object-store';
import type { Logger } from '@opad/core/logger';
import type { Redis } from '@opad/core/redis';
import { ArticleQueries } from './article-queries.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { GenerateBatcher } from './generate-batcher.ts';
import { articleStatusOf, toArticleDto } from './serialize.ts';

export interface ArticleServiceDeps {
  db: PgPool;
  queue: Queue<GenerateJobData>;
  /** The Redis connection the queue was created on. */
  redis: Redis;
  store: ObjectStore;
  log: Logger;
  /** Trace context to carry through the queue (filled in by telemetry). */
  traceCarrier?: () => Record<string, string>;
}

export type GenerateOutcome = { created: boolean; jobId: string; status: JobStatus };


/** Articles and their generation jobs: the api's domain logic, free of HTTP. */
export class ArticleService {
  private readonly deps: ArticleServiceDeps;
  private readonly queries: ArticleQueries;
  private readonly batcher: GenerateBatcher;
  constructor(deps: ArticleServiceDeps) {
    this.deps = deps;
    this.queries = new ArticleQueries(deps.db);
    this.batcher = new GenerateBatcher(deps.db, deps.queue, deps.redis, deps.log);
  }

  async create(input: CreateArticleInput): Promise<ArticleDto> {
    return toArticleDto(await this.queries.insert(input), null);
  }

  async findLive(id: string): Promise<ArticleRecord> {
    const article = await this.queries.findLive(id);
    if (!article) throw notFound('Article', id);
    return article;
  }

  async get(id: string): Promise<ArticleDto> {
    const article = await this.findLive(id);
    return toArticleDto(article, await this.queries.latestJob(id));
  }

  async list(query: ListArticlesQuery): Promise<ArticleListDto> {
    const rows = await this.queries.list(query, query.cursor ? decodeCursor(query.cursor) : null);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const jobs = await this.queries.latestJobs(page.map((a) => a.id));
    return {
      items: page.map((a) => toArticleDto(a, jobs.get(a.id) ?? null)),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }

  async remove(id: string): Promise<void> {
    if (!(await this.queries.softDelete(id))) throw notFound('Article', id);
  }

  /**
   * Enqueue a generation. The row comes first (the database is the source of truth); the
   * unique partial index makes concurrent calls converge on one active job. If Redis is down
   * the row stays `queued` and the worker's sweeper enqueues it once Redis is back.
   *
   * This is the ingest hot path, so the checks and the write are one SQL statement (one round
   * trip, atomic by itself): article exists? active job? else insert the job. From then on the
   * article reads as `generating` (see `articleStatusOf`).
   */
  async generate(articleId: string): Promise<GenerateOutcome> {
    const trace = this.deps.traceCarrier?.() ?? {};
    const result = await this.batcher.submit(articleId, trace);
    switch (result.kind) {
      case 'missing':
        throw notFound('Article', articleId);
      case 'active':
        // A queued row may have missed the queue (Redis was down); re-adding is idempotent
        // (same BullMQ job id) and heals it now instead of at the next sweep.
        if (result.job.status === 'queued') await this.tryEnqueue({ jobId: result.job.id, articleId, trace: result.job.trace_context ?? {} });
        return { created: false, jobId: result.job.id, status: result.job.status };
      case 'raced': {
        // Lost a race with a concurrent insert our snapshot could not see: return the winner.
        const winner = await this.queries.activeJob(articleId);
        if (winner) return { created: false, jobId: winner.id, status: winner.status };
        throw new AppError('conflict', 'Another generation request is in flight; try again', { status: 409 });
      }
      case 'created':
        if (result.enqueueError) {
          this.deps.log.warn({ err: result.enqueueError, jobId: result.jobId }, 'queue unavailable; job stays queued for the sweeper');
          throw dependencyUnavailable('queue', result.enqueueError, {
            message: 'The job queue is unavailable. Your request is saved and will start when the queue is back.',
            details: { jobId: result.jobId },
          });
        }
        return { created: true, jobId: result.jobId, status: 'queued' };
    }
  }

  private async tryEnqueue(data: GenerateJobData): Promise<void> {
    try {
      await enqueueGenerate(this.deps.queue, data);
    } catch (error) {
      this.deps.log.debug({ err: error, jobId: data.jobId }, 're-enqueue skipped: queue unavailable');
    }
  }

  private async readyArticle(id: string): Promise<ArticleRecord> {
    const article = await this.findLive(id);
    // The status readers see: a ready article with a new generation queued is generating.
    const status = articleStatusOf(article, await this.queries.latestJob(id));
    if (status !== 'ready') {
      throw new AppError('not_ready', `Article ${id} has no result yet (status: ${status})`, { details: { status } });
    }
    return article;
  }

  async content(id: string): Promise<string> {
    await this.readyArticle(id);
    const text = await this.readObject(objectKeys.adapted(id));
    if (text === null) throw notFound('Content of article', id);
    return text;
  }

  async meta(id: string): Promise<ArticleMeta> {
    await this.readyArticle(id);
    const text = await this.readObject(objectKeys.meta(id));
    if (text === null) throw notFound('Metadata of article', id);
    return articleMetaSchema.parse(JSON.parse(text));
  }

  private async readObject(key: string): Promise<string | null> {
    try {
      return await this.deps.store.getText(key);
    } catch (error) {
      throw dependencyUnavailable('object store', error);
    }
  }
}
