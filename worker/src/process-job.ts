import { UnrecoverableError, WaitingError, type Job as QueueJob } from 'bullmq';
import { STAGE_PROGRESS, type Stage } from '@opad/core/domain';
import { AppError, GenerationError } from '@opad/core/errors';
import { articleMetaSchema, type ArticleMeta } from '@opad/core/http-contract';
import { GENERATE_QUEUE, generateJobDataSchema, type GenerateJobData, type JobProgress } from '@opad/core/queue';
import { objectKeys } from '@opad/core/domain';
import type { Logger } from '@opad/core/logger';
import type { ObjectStore } from '@opad/core/storage/object-store';
import { createStageSpans } from '@opad/core/telemetry/stages';
import { withConsumerSpan } from '@opad/core/telemetry/tracing';
import type { Generator } from './generators/generator.ts';
import { countWords } from './generators/generator.ts';
import type { JobRows } from './job-rows.ts';
import { renderMarkdown } from './markdown.ts';
import type { WorkerMetrics } from './metrics.ts';
import { resolveSources, type SourceOptions } from './sources/resolve-sources.ts';

export interface ProcessorDeps {
  rows: JobRows;
  store: ObjectStore;
  generator: Generator;
  sources: SourceOptions;
  metrics: WorkerMetrics;
  logger: Logger;
}

export type JobOutcome = { outcome: 'succeeded' | 'already-terminal' | 'missing-row' | 'finished-from-stored-result' };

/** The abort reason (`worker.cancelAllJobs`) when shutdown runs out of time and releases the active jobs. */
export const RELEASED_FOR_SHUTDOWN = 'opad:released-for-shutdown';

/** The code, message and retry policy of any error a job can end with. */
export function classify(error: unknown): { code: string; message: string; retryable: boolean } {
  if (error instanceof GenerationError || error instanceof AppError) return { code: error.code, message: error.message, retryable: error.retryable };
  if (error instanceof UnrecoverableError) return { code: 'internal', message: error.message, retryable: false };
  if ((error as Error | undefined)?.name === 'ObjectStoreError' || (error as { $metadata?: unknown } | undefined)?.$metadata) {
    return { code: 'storage_failed', message: `The result could not be stored: ${(error as Error).message}`, retryable: true };
  }
  // Unknown errors (a database or network blip) get the retry budget.
  return { code: 'internal', message: (error as Error | undefined)?.message ?? String(error), retryable: true };
}

async function readStoredMeta(store: ObjectStore, articleId: string): Promise<ArticleMeta | null> {
  const text = await store.getText(objectKeys.meta(articleId));
  if (!text) return null;
  const parsed = articleMetaSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

/**
 * The BullMQ processor for `generate`: the job row is the source of truth, the stored meta.json is
 * the commit marker of a result. Nothing twice: a terminal row is a no-op; a meta.json that names
 * this job (stored by an attempt that died before marking the row) is finished from, not redone.
 */
export function createProcessor(deps: ProcessorDeps) {
  const { rows, store, generator, metrics, logger } = deps;

  const processAttempt = async (job: QueueJob<GenerateJobData>, token?: string, signal?: AbortSignal): Promise<JobOutcome> => {
    const parsed = generateJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`invalid job data: ${parsed.error.message}`);
    const { jobId, articleId } = parsed.data;
    const log = logger.child({ jobId, articleId, attempt: job.attemptsMade + 1 });
    const abort = signal ?? new AbortController().signal;

    const row = await rows.find(jobId);
    if (!row) {
      log.warn('no job row for queued job; nothing to do');
      return { outcome: 'missing-row' };
    }
    if (row.status === 'succeeded' || row.status === 'failed') {
      log.info({ status: row.status }, 'job row already terminal; nothing to do');
      return { outcome: 'already-terminal' };
    }
    const article = row.article;
    if (!article) throw new UnrecoverableError(`article ${articleId} is missing`);

    // Only an attempt that may have run before can find its result stored: a row still queued and
    // never started (attempts 0) cannot, so a first attempt skips the read (a 404 from S3 otherwise).
    const mayHaveRunBefore = row.attempts > 0 || row.status === 'running';
    const stored = mayHaveRunBefore ? await readStoredMeta(store, articleId) : null;
    if (stored?.jobId === jobId) {
      await rows.succeed(jobId, articleId, objectKeys.adapted(articleId), stored.title, stored.usage);
      await job.updateProgress({ progress: 100, stage: 'store' } satisfies JobProgress);
      log.info('finished from the result an earlier attempt stored');
      return { outcome: 'finished-from-stored-result' };
    }

    const startedAt = performance.now();
    metrics.activeJobs.inc();
    const stages = createStageSpans(); // source, select, adapt, review, gloss, store: child spans of the job's span
    let stageStart = startedAt;
    let current: Stage = 'source';
    const report = async (stage: Stage) => {
      abort.throwIfAborted();
      stages.enter(stage);
      const now = performance.now();
      if (stage !== current) metrics.stageDuration.observe({ stage: current }, (now - stageStart) / 1000);
      stageStart = now;
      current = stage;
      const progress: JobProgress = { progress: STAGE_PROGRESS[stage], stage };
      await Promise.all([job.updateProgress(progress), stage === 'source' ? undefined : rows.progress(jobId, stage, progress.progress)]);
    };

    try {
      await rows.start(jobId, articleId);
      await report('source');
      const candidates = await resolveSources(article, deps.sources, abort);
      const generatorStart = performance.now();
      const result = await generator.generate(
        { articleId, jobId, language: article.language, level: article.level, targetWords: article.targetWords, candidates },
        { stage: report, signal: abort },
      );

      const generatorMs = performance.now() - generatorStart;
      await report('store');
      const meta: ArticleMeta = articleMetaSchema.parse({
        articleId,
        jobId,
        generator: generator.name,
        model: generator.model,
        source: { kind: result.source.kind, url: result.source.url, title: result.source.title, siteName: result.source.siteName, byline: result.source.byline },
        params: { language: article.language, level: article.level, targetWords: article.targetWords },
        title: result.title,
        wordCount: countWords(result.body),
        vocabulary: result.vocabulary,
        usage: result.usage,
        notes: result.notes,
        createdAt: new Date().toISOString(),
      });
      abort.throwIfAborted();
      // adapted.md first, meta.json last: meta.json naming this job means the result is complete.
      await store.put(objectKeys.adapted(articleId), renderMarkdown(result, meta), 'text/markdown; charset=utf-8');
      await store.put(objectKeys.meta(articleId), `${JSON.stringify(meta, null, 2)}\n`, 'application/json');
      metrics.stageDuration.observe({ stage: 'store' }, (performance.now() - stageStart) / 1000);
      const marked = await rows.succeed(jobId, articleId, objectKeys.adapted(articleId), meta.title, meta.usage);
      await job.updateProgress({ progress: 100, stage: 'store' } satisfies JobProgress);
      metrics.jobsCompleted.inc({ generator: generator.name });
      metrics.jobDuration.observe({ outcome: 'succeeded' }, (performance.now() - startedAt) / 1000);
      log.info({ words: meta.wordCount, usage: meta.usage, marked, generatorMs: Math.round(generatorMs * 100) / 100, totalMs: Math.round((performance.now() - startedAt) * 100) / 100 }, 'article generated');
      return { outcome: 'succeeded' };
    } catch (error) {
      if (abort.aborted && abort.reason === RELEASED_FOR_SHUTDOWN) {
        // Shutdown ran out of time: hand the job back to the queue for another worker.
        await rows.release(jobId).catch((e: unknown) => log.error({ err: e }, 'could not mark the released job queued'));
        await job.moveToWait(token);
        log.warn({ stage: current }, 'job released to another worker at shutdown');
        throw new WaitingError();
      }
      stages.fail(error);
      const { code, message, retryable } = classify(error);
      const attempts = job.opts.attempts ?? 1;
      const final = !retryable || job.attemptsMade + 1 >= attempts;
      metrics.jobsFailed.inc({ code, final: String(final) });
      log[final ? 'error' : 'warn']({ err: error, code, retryable, final, stage: current }, 'generation attempt failed');
      if (final) {
        metrics.jobDuration.observe({ outcome: 'failed' }, (performance.now() - startedAt) / 1000);
        await rows.fail(jobId, articleId, code, message);
      }
      if (!retryable) throw new UnrecoverableError(`${code}: ${message}`);
      throw error;
    } finally {
      stages.end();
      metrics.activeJobs.dec();
    }
  };

  // One CONSUMER span per attempt, parented to the api request that enqueued the job (job.data.trace).
  return function processGenerateJob(job: QueueJob<GenerateJobData>, token?: string, signal?: AbortSignal): Promise<JobOutcome> {
    const data = job.data as Partial<GenerateJobData> | undefined;
    const attributes = { 'messaging.message.id': job.id ?? '', 'opad.job.id': data?.jobId ?? '', 'opad.article.id': data?.articleId ?? '', 'opad.job.attempt': job.attemptsMade + 1 };
    return withConsumerSpan(GENERATE_QUEUE, data?.trace, attributes, () => processAttempt(job, token, signal));
  };
}
