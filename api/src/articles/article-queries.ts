import { query, type PgPool } from '@opad/core/db/pg-pool';
import { ARTICLE_COLUMNS, JOB_COLUMNS, type ArticleRecord, type JobRecord } from '@opad/core/db/records';
import type { CreateArticleInput, ListArticlesQuery } from '@opad/core/http-contract';
import { ACTIVE_JOB_STATUSES } from '@opad/core/domain';
import type { Cursor } from './cursor.ts';

/**
 * The api's reads and writes of articles, in SQL. Each statement is named, so Postgres parses
 * and plans it once per connection. Soft-deleted articles (deleted_at set) are invisible here.
 */
export class ArticleQueries {
  private readonly pool: PgPool;
  constructor(pool: PgPool) {
    this.pool = pool;
  }

  async insert(input: CreateArticleInput): Promise<ArticleRecord> {
    const { rows } = await query<ArticleRecord>(this.pool, {
      name: 'opad_article_insert',
      // Millisecond timestamps, as JavaScript (and so the keyset cursor) represents them.
      text: `INSERT INTO articles (id, source_url, source_text, topic, source_title, language, level, target_words, created_at, updated_at)
             VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, date_trunc('milliseconds', now()), date_trunc('milliseconds', now()))
             RETURNING ${ARTICLE_COLUMNS}`,
      values: [input.sourceUrl ?? null, input.sourceText ?? null, input.topic ?? null, input.sourceTitle ?? null, input.language, input.level, input.targetWords],
    });
    return rows[0]!;
  }

  async findLive(id: string): Promise<ArticleRecord | null> {
    const { rows } = await query<ArticleRecord>(this.pool, {
      name: 'opad_article_find',
      text: `SELECT ${ARTICLE_COLUMNS} FROM articles WHERE id = $1 AND deleted_at IS NULL`,
      values: [id],
    });
    return rows[0] ?? null;
  }

  /** Soft delete; false when there was no live article with this id. */
  async softDelete(id: string): Promise<boolean> {
    const { rowCount } = await query(this.pool, {
      name: 'opad_article_soft_delete',
      text: 'UPDATE articles SET deleted_at = now(), updated_at = now() WHERE id = $1 AND deleted_at IS NULL',
      values: [id],
    });
    return rowCount === 1;
  }

  /** Newest first, keyset-paginated on (created_at, id); one row more than asked tells if a next page exists. */
  async list(filter: ListArticlesQuery, cursor: Cursor | null): Promise<ArticleRecord[]> {
    // Filters are optional: a NULL parameter matches everything. The status filter matches the
    // status readers see (an active job reads as generating, see serialize.ts). The keyset condition is its own
    // statement so that the first page and the next ones both walk articles_live_newest.
    const filters = [filter.status ?? null, filter.language ?? null, filter.level ?? null, filter.limit + 1];
    const { rows } = await query<ArticleRecord>(this.pool, {
      name: cursor ? 'opad_article_list_after' : 'opad_article_list',
      text: `SELECT ${ARTICLE_COLUMNS} FROM articles
             WHERE deleted_at IS NULL
               AND ($1::text IS NULL OR $1 = CASE WHEN EXISTS (
                     SELECT 1 FROM jobs WHERE jobs.article_id = articles.id AND jobs.status IN ('queued', 'running')
                   ) THEN 'generating' ELSE status END)
               AND ($2::text IS NULL OR language = $2)
               AND ($3::text IS NULL OR level = $3)
               ${cursor ? 'AND (created_at, id) < ($5::timestamptz, $6::uuid)' : ''}
             ORDER BY created_at DESC, id DESC
             LIMIT $4`,
      values: cursor ? [...filters, cursor.createdAt, cursor.id] : filters,
    });
    return rows;
  }

  async latestJob(articleId: string): Promise<JobRecord | null> {
    const { rows } = await query<JobRecord>(this.pool, {
      name: 'opad_job_latest',
      text: `SELECT ${JOB_COLUMNS} FROM jobs WHERE article_id = $1 ORDER BY created_at DESC LIMIT 1`,
      values: [articleId],
    });
    return rows[0] ?? null;
  }

  /** The newest job of each article, in one query. */
  async latestJobs(articleIds: string[]): Promise<Map<string, JobRecord>> {
    if (articleIds.length === 0) return new Map();
    const { rows } = await query<JobRecord>(this.pool, {
      name: 'opad_job_latest_many',
      text: `SELECT DISTINCT ON (article_id) ${JOB_COLUMNS} FROM jobs WHERE article_id = ANY($1::uuid[]) ORDER BY article_id, created_at DESC`,
      values: [articleIds],
    });
    return new Map(rows.map((j) => [j.articleId, j]));
  }

  async activeJob(articleId: string): Promise<JobRecord | null> {
    const { rows } = await query<JobRecord>(this.pool, {
      name: 'opad_job_active',
      text: `SELECT ${JOB_COLUMNS} FROM jobs WHERE article_id = $1 AND status = ANY($2::text[])`,
      values: [articleId, ACTIVE_JOB_STATUSES],
    });
    return rows[0] ?? null;
  }
}
