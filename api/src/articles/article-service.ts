import { Op, type WhereOptions } from 'sequelize';
import type { Queue } from 'bullmq';
import { AppError, dependencyUnavailable, notFound } from '@opad/core/errors';
import type { Database } from '@opad/core/db/connect';
import type { Article, Job } from '@opad/core/db/models';
import { ACTIVE_JOB_STATUSES, objectKeys, type JobStatus } from '@opad/core/domain';
import type { ArticleDto, ArticleListDto, ArticleMeta, CreateArticleInput, ListArticlesQuery } from '@opad/core/http-contract';
import { articleMetaSchema } from '@opad/core/http-contract';
import { enqueueGenerate, type GenerateJobData } from '@opad/core/queue';
import type { ObjectStore } from '@opad/core/storage/object-store';
import type { Logger } from '@opad/core/logger';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { GenerateBatcher } from './generate-batcher.ts';
import { toArticleDto } from './serialize.ts';

export interface ArticleServiceDeps {
  db: Database;
  queue: Queue<GenerateJobData>;
  store: ObjectStore;
  log: Logger;
  /** Trace context to carry through the queue (filled in by telemetry). */
  traceCarrier?: () => Record<string, string>;
}

export type GenerateOutcome = { created: boolean; jobId: string; status: JobStatus };



/** Articles and their generation jobs: the api's domain logic, free of HTTP. */
export class ArticleService {
  private readonly deps: ArticleServiceDeps;
  private readonly batcher: GenerateBatcher;
  constructor(deps: ArticleServiceDeps) {
    this.deps = deps;
    this.batcher = new GenerateBatcher(deps.db.sequelize, deps.queue);
  }

  private get models() {
    return this.deps.db.models;
  }

  async create(input: CreateArticleInput): Promise<ArticleDto> {
    const article = await this.models.Article.create({
      sourceUrl: input.sourceUrl ?? null,
      sourceText: input.sourceText ?? null,
      topic: input.topic ?? null,
      sourceTitle: input.sourceTitle ?? null,
      language: input.language,
      level: input.level,
      targetWords: input.targetWords,
    });
    return toArticleDto(article, null);
  }

  async findLive(id: string): Promise<Article> {
    const article = await this.models.Article.findByPk(id);
    if (!article) throw notFound('Article', id);
    return article;
  }

  private async latestJob(articleId: string): Promise<Job | null> {
    return this.models.Job.findOne({ where: { articleId }, order: [['createdAt', 'DESC']] });
  }

  async get(id: string): Promise<ArticleDto> {
    const article = await this.findLive(id);
    return toArticleDto(article, await this.latestJob(id));
  }

  async list(query: ListArticlesQuery): Promise<ArticleListDto> {
    const where: WhereOptions[] = [];
    if (query.status) where.push({ status: query.status });
    if (query.language) where.push({ language: query.language });
    if (query.level) where.push({ level: query.level });
    if (query.cursor) {
      const cursor = decodeCursor(query.cursor);
      // (created_at, id) < (cursor) — newest first, ties broken by id.
      where.push({
        [Op.or]: [{ createdAt: { [Op.lt]: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { [Op.lt]: cursor.id } }],
      });
    }
    const rows = await this.models.Article.findAll({
      where: { [Op.and]: where },
      order: [
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const jobs = await this.latestJobs(page.map((a) => a.id));
    return {
      items: page.map((a) => toArticleDto(a, jobs.get(a.id) ?? null)),
      nextCursor: rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }

  /** The newest job of each article, in one query. */
  private async latestJobs(articleIds: string[]): Promise<Map<string, Job>> {
    if (articleIds.length === 0) return new Map();
    const rows = await this.deps.db.sequelize.query(
      'SELECT DISTINCT ON (article_id) * FROM jobs WHERE article_id IN (:ids) ORDER BY article_id, created_at DESC',
      { replacements: { ids: articleIds }, model: this.models.Job, mapToModel: true },
    );
    return new Map(rows.map((j) => [j.articleId, j]));
  }

  async remove(id: string): Promise<void> {
    const article = await this.findLive(id);
    await article.destroy();
  }

  /**
   * Enqueue a generation. The row comes first (the database is the source of truth); the
   * unique partial index makes concurrent calls converge on one active job. If Redis is down
   * the row stays `queued` and the worker's sweeper enqueues it once Redis is back.
   *
   * This is the ingest hot path, so the checks and writes are one SQL statement (one round
   * trip, atomic by itself): article exists? active job? else insert the job and mark the
   * article generating.
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
        const winner = await this.models.Job.findOne({ where: { articleId, status: ACTIVE_JOB_STATUSES } });
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

  private async readyArticle(id: string): Promise<Article> {
    const article = await this.findLive(id);
    if (article.status !== 'ready') {
      throw new AppError('not_ready', `Article ${id} has no result yet (status: ${article.status})`, { details: { status: article.status } });
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
