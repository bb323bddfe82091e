import type { IRouter, Request, Response } from 'express';
import { notFound } from '@opad/core/errors';
import { isTerminalJobStatus } from '@opad/core/domain';
import { idParamsSchema, type JobEvent } from '@opad/core/http-contract';
import type { PgPool } from '@opad/core/db/pg-pool';
import type { JobRecord } from '@opad/core/db/records';
import { findJob as findJobRow } from '../jobs/job-queries.ts';
import { toJobDto } from '../articles/serialize.ts';
import type { JobEventsHub } from '../jobs/job-events.ts';
import { parseParams } from '../http/validate.ts';

export interface JobRoutesDeps {
  db: PgPool;
  hub: JobEventsHub;
  /** Slow safety poll of the row while streaming, in case a queue event is missed. */
  pollIntervalMs?: number;
  heartbeatMs?: number;
}

const toEvent = (job: JobRecord): JobEvent => ({
  jobId: job.id,
  status: job.status,
  progress: job.progress,
  stage: job.stage,
  error: job.errorCode ? { code: job.errorCode, message: job.errorMessage ?? job.errorCode } : null,
});

export function registerJobRoutes(router: IRouter, deps: JobRoutesDeps): void {
  async function findJob(req: Request): Promise<JobRecord> {
    const { id } = parseParams(req, idParamsSchema);
    const job = await findJobRow(deps.db, id);
    if (!job) throw notFound('Job', id);
    return job;
  }

  router.get('/jobs/:id', async (req, res) => {
    res.json(toJobDto(await findJob(req)));
  });

  router.get('/jobs/:id/events', async (req: Request, res: Response) => {
    const job = await findJob(req);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx ingress: do not buffer the stream
    });
    res.flushHeaders();

    let closed = false;
    let lastSent = '';
    const send = (event: string, data: JobEvent) => {
      const payload = JSON.stringify(data);
      if (event === 'progress' && payload === lastSent) return;
      lastSent = payload;
      res.write(`event: ${event}\ndata: ${payload}\n\n`);
    };

    const finish = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(poll);
      clearInterval(heartbeat);
      res.end();
    };

    let refreshing: Promise<void> | null = null;
    const refresh = () => {
      if (closed || refreshing) return;
      refreshing = (async () => {
        try {
          const row = await findJobRow(deps.db, job.id);
          if (!row || closed) return;
          send('progress', toEvent(row));
          if (isTerminalJobStatus(row.status)) {
            res.write(`event: end\ndata: ${JSON.stringify(toEvent(row))}\n\n`);
            finish();
          }
        } catch {
          // the database blipped: the next nudge or poll tries again
        } finally {
          refreshing = null;
        }
      })();
    };

    const unsubscribe = deps.hub.subscribe(job.id, refresh);
    const poll = setInterval(refresh, deps.pollIntervalMs ?? 2_000);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), deps.heartbeatMs ?? 15_000);
    req.on('close', finish);

    res.write('retry: 2000\n\n');
    send('progress', toEvent(job));
    if (isTerminalJobStatus(job.status)) {
      res.write(`event: end\ndata: ${JSON.stringify(toEvent(job))}\n\n`);
      finish();
    }
  });
}
