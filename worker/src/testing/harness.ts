import { QueryTypes } from 'sequelize';
import type { Queue } from 'bullmq';
import type { Database } from '@opad/core/db/connect';
import { GENERATE_QUEUE, type GenerateJobData } from '@opad/core/queue';
import type { Language, Level } from '@opad/core/domain';

export interface NewArticle {
  sourceUrl?: string;
  sourceText?: string;
  sourceTitle?: string;
  topic?: string;
  language?: Language;
  level?: Level;
  targetWords?: number;
}

/** What the api does on POST /articles + POST /articles/:id/generate: an article, a queued job row. */
export async function createQueuedJob(db: Database, article: NewArticle): Promise<{ articleId: string; jobId: string }> {
  const a = await db.models.Article.create({ language: 'en', level: 'B1', targetWords: 150, ...article });
  const j = await db.models.Job.create({ articleId: a.id });
  return { articleId: a.id, jobId: j.id };
}

/** Enqueue like the api, with fast retries for tests. */
export async function enqueueForTest(queue: Queue<GenerateJobData>, ids: { articleId: string; jobId: string }, attempts = 3): Promise<void> {
  await queue.add(GENERATE_QUEUE, { ...ids, trace: {} }, { jobId: ids.jobId, attempts, backoff: { type: 'exponential', delay: 50 } });
}

export async function jobRow(db: Database, jobId: string) {
  const [row] = await db.sequelize.query<Record<string, unknown>>('SELECT * FROM jobs WHERE id = :jobId', { replacements: { jobId }, type: QueryTypes.SELECT });
  return row as Record<string, unknown> & { status: string; attempts: number; error_code: string | null; input_tokens: number; output_tokens: number };
}

export async function isTerminal(db: Database, jobId: string): Promise<boolean> {
  const row = await jobRow(db, jobId);
  return row.status === 'succeeded' || row.status === 'failed';
}
