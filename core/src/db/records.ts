import type { ArticleStatus, JobStatus, Language, Level, Stage } from '../domain.ts';

/**
 * The rows of `articles` and `jobs` as plain data, for code that reads them with SQL (the api)
 * rather than through the Sequelize models (the worker). Field names are the models' attribute
 * names, so a model instance satisfies these types too.
 */
export interface ArticleRecord {
  id: string;
  ownerId: string | null;
  sourceUrl: string | null;
  sourceTitle: string | null;
  sourceText: string | null;
  topic: string | null;
  language: Language;
  level: Level;
  targetWords: number;
  status: ArticleStatus;
  title: string | null;
  createdAt: Date;
  updatedAt: Date;
  deletedAt: Date | null;
}

export interface JobRecord {
  id: string;
  articleId: string;
  status: JobStatus;
  progress: number;
  stage: Stage | null;
  attempts: number;
  resultRef: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  inputTokens: number;
  outputTokens: number;
  traceContext: Record<string, string> | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** SELECT lists that name each column as its record field (`source_url AS "sourceUrl"`). */
export const ARTICLE_COLUMNS = selectList<ArticleRecord>([
  'id', 'ownerId', 'sourceUrl', 'sourceTitle', 'sourceText', 'topic', 'language', 'level',
  'targetWords', 'status', 'title', 'createdAt', 'updatedAt', 'deletedAt',
]);
export const JOB_COLUMNS = selectList<JobRecord>([
  'id', 'articleId', 'status', 'progress', 'stage', 'attempts', 'resultRef', 'errorCode',
  'errorMessage', 'inputTokens', 'outputTokens', 'traceContext', 'createdAt', 'updatedAt',
  'startedAt', 'finishedAt',
]);

function selectList<R>(fields: ReadonlyArray<keyof R & string>): string {
  return fields.map((f) => {
    const column = f.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    return column === f ? f : `${column} AS "${f}"`;
  }).join(', ');
}
