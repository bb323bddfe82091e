import type { Queue } from 'bullmq';
import type { Logger } from '@opad/core/logger';
import { enqueueGenerate, type GenerateJobData } from '@opad/core/queue';
import type { JobRows } from './job-rows.ts';

export interface SweeperOptions {
  rows: JobRows;
  queue: Queue<GenerateJobData>;
  logger: Logger;
  intervalMs: number;
  /** A row untouched this long with no queue entry is considered lost. */
  staleAfterMs: number;
  batch?: number;
}

export interface SweepReport {
  enqueued: string[];
  failed: string[];
}

/**
 * Nothing accepted is lost: an active job row (queued, or running when Redis lost its data) with
 * no BullMQ job is enqueued again under the same id — BullMQ refuses a duplicate id, so several
 * workers sweeping at once add it once. A row whose BullMQ job failed without the processor
 * marking it (the stalled limit, or the database was down at the time) is marked failed.
 */
export function createSweeper(options: SweeperOptions) {
  const { rows, queue, logger } = options;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<SweepReport> | undefined;
  let stopped = false;

  async function sweep(): Promise<SweepReport> {
    const report: SweepReport = { enqueued: [], failed: [] };
    const stale = await rows.stale(options.staleAfterMs, options.batch ?? 100);
    for (const row of stale) {
      const state = await queue.getJobState(row.id);
      if (state === 'unknown') {
        await enqueueGenerate(queue, { jobId: row.id, articleId: row.articleId, trace: row.traceContext ?? {} });
        report.enqueued.push(row.id);
        logger.warn({ jobId: row.id, status: row.status }, 'job row had no queue entry; enqueued again');
      } else if (state === 'failed') {
        const job = await queue.getJob(row.id);
        const reason = job?.failedReason ?? 'the queue gave up on the job';
        if (await rows.fail(row.id, row.articleId, 'internal', reason)) {
          report.failed.push(row.id);
          logger.warn({ jobId: row.id, reason }, 'queue job failed without the row being marked; marked failed');
        }
      }
    }
    return report;
  }

  const runOnce = async (): Promise<SweepReport> => {
    running ??= sweep().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = () => {
    if (stopped) return;
    // Jitter so many workers do not sweep in lockstep.
    timer = setTimeout(() => {
      runOnce()
        .catch((error: unknown) => logger.warn({ err: error }, 'sweep failed; will try again'))
        .finally(schedule);
    }, options.intervalMs * (0.75 + Math.random() * 0.5));
    timer.unref();
  };

  return {
    sweep: runOnce,
    start() {
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
    },
  };
}
