import type { InferAttributes } from 'sequelize';
import type { Article, Job } from './models.ts';

/**
 * The rows of `articles` and `jobs` as plain data, for code that reads them with SQL (the api)
 * rather than through the Sequelize models (the worker): the models' attributes, so the two
 * cannot drift. Type-only: importing this module loads neither Sequelize nor the models.
 */
export type ArticleRecord = InferAttributes<Article>;
export type JobRecord = InferAttributes<Job>;

/**
 * SELECT lists that name each column as its record field (`source_url AS "sourceUrl"`). Every
 * attribute must be listed (a `Record` over the record's keys), so a column added to a model
 * and not here fails the type check instead of reading as undefined.
 */
export const ARTICLE_COLUMNS = selectList<ArticleRecord>({
  id: 1, ownerId: 1, sourceUrl: 1, sourceTitle: 1, sourceText: 1, topic: 1, language: 1, level: 1,
  targetWords: 1, status: 1, title: 1, createdAt: 1, updatedAt: 1, deletedAt: 1,
});
export const JOB_COLUMNS = selectList<JobRecord>({
  id: 1, articleId: 1, status: 1, progress: 1, stage: 1, attempts: 1, resultRef: 1, errorCode: 1,
  errorMessage: 1, inputTokens: 1, outputTokens: 1, traceContext: 1, createdAt: 1, updatedAt: 1,
  startedAt: 1, finishedAt: 1,
});

function selectList<R>(fields: Record<keyof R & string, 1>): string {
  return Object.keys(fields)
    .map((f) => {
      const column = f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      return column === f ? f : `${column} AS "${f}"`;
    })
    .join(', ');
}
