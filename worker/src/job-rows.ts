import { QueryTypes } from 'sequelize';
import type { Database } from '@opad/core/db/connect';
import type { Stage } from '@opad/core/domain';
import type { Usage } from '@opad/core/http-contract';

/**
 * The job row's state machine, queued → running → succeeded | failed, as guarded SQL: every
 * transition names the states it may leave, so a terminal row never changes again and a
 * re-delivered job cannot finish twice.
 */
export interface JobRow {
  id: string;
  articleId: string;
  status: string;
  traceContext: Record<string, string> | null;
}

export function createJobRows(db: Database) {
  const { sequelize } = db;
  const run = async (sql: string, replacements: Record<string, unknown>): Promise<number> => {
    const [, count] = (await sequelize.query(sql, { replacements, type: QueryTypes.UPDATE })) as unknown as [unknown, number];
    return count;
  };

  return {
    async find(jobId: string) {
      const job = await db.models.Job.findByPk(jobId, {
        include: [{ model: db.models.Article, as: 'article', paranoid: false }],
      });
      return job;
    },

    /** queued|running → running, counting the attempt; the article shows it is being generated. */
    async start(jobId: string, articleId: string): Promise<boolean> {
      const started = await run(
        `UPDATE jobs SET status = 'running', attempts = attempts + 1, started_at = COALESCE(started_at, now()),
           stage = 'source', progress = GREATEST(progress, 5), updated_at = now()
         WHERE id = :jobId AND status IN ('queued', 'running')`,
        { jobId },
      );
      if (started) {
        await run(`UPDATE articles SET status = 'generating', updated_at = now() WHERE id = :articleId AND status <> 'generating'`, { articleId });
      }
      return started > 0;
    },

    async progress(jobId: string, stage: Stage, progress: number): Promise<void> {
      await run(`UPDATE jobs SET stage = :stage, progress = :progress, updated_at = now() WHERE id = :jobId AND status = 'running'`, {
        jobId,
        stage,
        progress,
      });
    },

    /** Back to queued when a shutdown releases the job to another worker. */
    async release(jobId: string): Promise<void> {
      await run(`UPDATE jobs SET status = 'queued', updated_at = now() WHERE id = :jobId AND status = 'running'`, { jobId });
    },

    /**
     * running → succeeded and the article → ready, in one transaction. Usage is set (not added):
     * it is the usage of the one result that was stored, so a re-delivered job cannot count twice.
     * Returns false when the row was already terminal (nothing changed).
     */
    async succeed(jobId: string, articleId: string, resultRef: string, title: string, usage: Usage): Promise<boolean> {
      return sequelize.transaction(async (transaction) => {
        const [, count] = (await sequelize.query(
          `UPDATE jobs SET status = 'succeeded', progress = 100, stage = 'store', result_ref = :resultRef,
             input_tokens = :inputTokens, output_tokens = :outputTokens, error_code = NULL, error_message = NULL,
             finished_at = now(), updated_at = now()
           WHERE id = :jobId AND status IN ('queued', 'running')`,
          { replacements: { jobId, resultRef, ...usage }, type: QueryTypes.UPDATE, transaction },
        )) as unknown as [unknown, number];
        if (count === 0) return false;
        await sequelize.query(`UPDATE articles SET status = 'ready', title = :title, updated_at = now() WHERE id = :articleId`, {
          replacements: { articleId, title },
          type: QueryTypes.UPDATE,
          transaction,
        });
        return true;
      });
    },

    /** The final failure: the job and its article are marked failed with the error's code. */
    async fail(jobId: string, articleId: string, code: string, message: string): Promise<boolean> {
      return sequelize.transaction(async (transaction) => {
        const [, count] = (await sequelize.query(
          `UPDATE jobs SET status = 'failed', error_code = :code, error_message = :message, finished_at = now(), updated_at = now()
           WHERE id = :jobId AND status IN ('queued', 'running')`,
          { replacements: { jobId, code, message: message.slice(0, 2_000) }, type: QueryTypes.UPDATE, transaction },
        )) as unknown as [unknown, number];
        if (count === 0) return false;
        await sequelize.query(
          `UPDATE articles SET status = 'failed', updated_at = now() WHERE id = :articleId
             AND NOT EXISTS (SELECT 1 FROM jobs WHERE article_id = :articleId AND status IN ('queued', 'running'))`,
          { replacements: { articleId }, type: QueryTypes.UPDATE, transaction },
        );
        return true;
      });
    },

    /** Active rows not touched for `olderThanMs`: candidates for the sweeper. */
    async stale(olderThanMs: number, limit: number): Promise<JobRow[]> {
      return sequelize.query<JobRow>(
        `SELECT id, article_id AS "articleId", status, trace_context AS "traceContext" FROM jobs
         WHERE status IN ('queued', 'running') AND updated_at < now() - make_interval(secs => :seconds)
         ORDER BY created_at LIMIT :limit`,
        { replacements: { seconds: olderThanMs / 1000, limit }, type: QueryTypes.SELECT },
      );
    },
  };
}

export type JobRows = ReturnType<typeof createJobRows>;
