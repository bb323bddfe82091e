import type { ArticleDto, JobDto } from '@opad/core/http-contract';
import type { ArticleRecord, JobRecord } from '@opad/core/db/records';
import { isTerminalJobStatus, type ArticleStatus, type SourceKind } from '@opad/core/domain';

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function sourceKindOf(article: ArticleRecord): SourceKind {
  if (article.sourceUrl) return 'url';
  if (article.topic) return 'topic';
  return 'text';
}

export function toJobDto(job: JobRecord): JobDto {
  return {
    id: job.id,
    articleId: job.articleId,
    status: job.status,
    progress: job.progress,
    stage: job.stage,
    attempts: job.attempts,
    error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? job.errorCode } : null,
    usage: { inputTokens: job.inputTokens, outputTokens: job.outputTokens },
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
  };
}

const EXCERPT_CHARS = 200;

/**
 * The status readers see. An article is `generating` from the moment its job is accepted: the
 * generate statement only inserts the job row (ingest is the hot path), and the worker stores
 * `generating` on the article when it starts the job. Only the newest job can be active.
 */
export function articleStatusOf(article: ArticleRecord, latestJob: JobRecord | null): ArticleStatus {
  return latestJob && !isTerminalJobStatus(latestJob.status) ? 'generating' : article.status;
}

export function toArticleDto(article: ArticleRecord, latestJob: JobRecord | null): ArticleDto {
  const text = article.sourceText?.replace(/\s+/g, ' ').trim() ?? null;
  return {
    id: article.id,
    status: articleStatusOf(article, latestJob),
    title: article.title,
    language: article.language,
    level: article.level,
    targetWords: article.targetWords,
    source: {
      kind: sourceKindOf(article),
      url: article.sourceUrl,
      title: article.sourceTitle,
      topic: article.topic,
      excerpt: text ? (text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text) : null,
    },
    createdAt: article.createdAt.toISOString(),
    updatedAt: article.updatedAt.toISOString(),
    latestJob: latestJob ? toJobDto(latestJob) : null,
  };
}
