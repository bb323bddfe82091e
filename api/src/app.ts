import express, { type Express } from 'express';
import type { Queue } from 'bullmq';
import type { PgPool } from '@opad/core/db/pg-pool';
import type { GenerateJobData } from '@opad/core/queue';
import type { ObjectStore } from '@opad/core/storage/object-store';
import type { Logger } from '@opad/core/logger';
import type { Redis } from '@opad/core/redis';
import { MAX_JSON_BODY_BYTES } from '@opad/core/http-contract';
import { ArticleService } from './articles/article-service.ts';
import { JobEventsHub } from './jobs/job-events.ts';
import { registerArticleRoutes } from './routes/articles.ts';
import { registerJobRoutes } from './routes/jobs.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { errorHandler, notFoundHandler } from './http/errors.ts';
import { createHttpMetrics } from './http/metrics.ts';
import { writeRateLimit } from './http/rate-limit.ts';
import { buildOpenApiDocument } from './http/openapi.ts';

export interface AppDeps {
  db: PgPool;
  redis: Redis;
  queue: Queue<GenerateJobData>;
  hub: JobEventsHub;
  store: ObjectStore;
  log: Logger;
  version: string;
  rateLimitWritesPerMinute: number;
  trustProxyHops?: number;
  traceCarrier?: () => Record<string, string>;
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxyHops ?? 0);
  app.set('json spaces', 0);
  // No ETag: the responses are small and change with every job update, and no client revalidates
  // (the web fetches afresh on each render). Hashing every body cost ~3 % of ingest req/s (A/B).
  app.set('etag', false);
  // x-trace-id (the request's trace id, for bug reports) is set by the telemetry preload's server spans.

  const metrics = createHttpMetrics();
  app.use(metrics.middleware);

  const openapi = buildOpenApiDocument(deps.version);
  app.get('/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  // Every route registers on the app's own router. A nested Router per module re-runs Express's
  // whole dispatch (its own state, closures, layer walk) for every request that passes through
  // it: that cost ~10 % of ingest throughput (A/B on bench/ingest.ts, 162 → 137 µs per request).
  registerHealthRoutes(
    app,
    {
      postgres: async () => {
        await deps.db.query('SELECT 1');
      },
      redis: async () => {
        await deps.redis.ping();
      },
      objectStore: () => deps.store.check(),
    },
    metrics.registry,
  );

  // JSON bodies only; anything else is refused by the routes with 415. The parser's own
  // errors (too large, malformed) are turned into 413/400 by the error handler.
  app.use(express.json({ limit: MAX_JSON_BODY_BYTES, strict: true, type: ['application/json', 'application/*+json'] }));

  const service = new ArticleService({ db: deps.db, queue: deps.queue, redis: deps.redis, store: deps.store, log: deps.log, ...(deps.traceCarrier ? { traceCarrier: deps.traceCarrier } : {}) });
  registerArticleRoutes(app, service, writeRateLimit(deps.rateLimitWritesPerMinute), metrics.generateRequests);
  registerJobRoutes(app, { db: deps.db, hub: deps.hub });

  app.use(notFoundHandler);
  app.use(errorHandler(deps.log));
  return app;
}
