import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { connectDatabase, type Database } from '@opad/core/db/connect';
import { createLogger, type Logger } from '@opad/core/logger';
import { GENERATE_QUEUE, createGenerateQueue, type GenerateJobData } from '@opad/core/queue';
import { createRedis } from '@opad/core/redis';
import { createObjectStore } from '@opad/core/storage/create-object-store';
import type { ObjectStore } from '@opad/core/storage/object-store';
import type { WorkerConfig } from './config.ts';
import { createGenerator } from './create-generator.ts';
import type { Generator } from './generators/generator.ts';
import { startHealthServer } from './health-server.ts';
import { createJobRows } from './job-rows.ts';
import { createWorkerMetrics } from './metrics.ts';
import { RELEASED_FOR_SHUTDOWN, createProcessor, type JobOutcome } from './process-job.ts';
import type { ResolveHost } from './sources/safe-fetch.ts';
import type { SearchProvider } from './sources/search-provider.ts';
import { createSweeper } from './sweeper.ts';

export interface WorkerAppOptions {
  logger?: Logger;
  generator?: Generator;
  store?: ObjectStore;
  searchProvider?: SearchProvider;
  /** DNS resolution for source URLs (tests make public-looking names resolve to private addresses). */
  resolve?: ResolveHost;
  /** Start the sweeper timer (default true; tests call `sweeper.sweep()` themselves). */
  sweep?: boolean;
  /** prom-client default process metrics (default true). */
  defaultMetrics?: boolean;
}

export interface WorkerApp {
  readonly worker: Worker<GenerateJobData, JobOutcome>;
  readonly db: Database;
  readonly healthPort: number;
  readonly sweeper: ReturnType<typeof createSweeper>;
  readonly metrics: ReturnType<typeof createWorkerMetrics>;
  /** Graceful stop: no new jobs; active ones get WORKER_SHUTDOWN_TIMEOUT_MS, then are released; then connections close. */
  shutdown(): Promise<void>;
}

export async function startWorkerApp(config: WorkerConfig, options: WorkerAppOptions = {}): Promise<WorkerApp> {
  const logger = options.logger ?? createLogger('worker', config.LOG_LEVEL);
  const metrics = createWorkerMetrics(options.defaultMetrics ?? true);
  const db = connectDatabase(config.DATABASE_URL, { poolMax: config.WORKER_CONCURRENCY + 3 });
  const store = options.store ?? createObjectStore(config);
  const generator =
    options.generator ??
    (await createGenerator(config, (usage) => {
      metrics.llmTokens.inc({ direction: 'input' }, usage.inputTokens);
      metrics.llmTokens.inc({ direction: 'output' }, usage.outputTokens);
    }));
  const rows = createJobRows(db);

  // The sweeper's producer connection fails fast while Redis is down (and tries again next round);
  // the worker's own connection retries forever, as BullMQ requires.
  const producerRedis = createRedis(config.REDIS_URL, 'producer');
  producerRedis.on('error', (error) => logger.debug({ err: error }, 'redis (producer) error'));
  const queue = createGenerateQueue(producerRedis, config.QUEUE_PREFIX);
  queue.on('error', (error) => logger.debug({ err: error }, 'queue error'));
  const workerRedis = createRedis(config.REDIS_URL, 'worker');
  workerRedis.on('error', (error) => logger.warn({ err: error }, 'redis (worker) error'));

  const processor = createProcessor({
    rows,
    store,
    generator,
    metrics,
    logger,
    sources: {
      timeoutMs: config.FETCH_TIMEOUT_MS,
      maxBytes: config.FETCH_MAX_BYTES,
      allowHosts: config.FETCH_ALLOW_HOSTS,
      resolve: options.resolve,
      searchProvider: options.searchProvider,
    },
  });
  const worker = new Worker<GenerateJobData, JobOutcome>(GENERATE_QUEUE, processor, {
    connection: workerRedis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    name: config.POD_NAME ?? hostname(),
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
    autorun: false,
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  worker.on('stalled', (jobId) => logger.warn({ jobId }, 'stalled job returned to the queue'));

  const sweeper = createSweeper({ rows, queue, logger, intervalMs: config.SWEEP_INTERVAL_MS, staleAfterMs: config.SWEEP_QUEUED_AFTER_MS });
  let shuttingDown: Promise<void> | undefined;

  const health = await startHealthServer({
    port: config.HEALTH_PORT,
    registry: metrics.registry,
    isShuttingDown: () => shuttingDown !== undefined,
    checks: {
      postgres: async () => {
        await db.sequelize.query('SELECT 1');
      },
      redis: async () => {
        await producerRedis.ping();
      },
      objectStore: () => store.check(),
    },
  });

  void worker.run().catch((error: unknown) => logger.error({ err: error }, 'worker stopped with an error'));
  if (options.sweep ?? true) sweeper.start();
  logger.info(
    { queue: `${config.QUEUE_PREFIX}:${GENERATE_QUEUE}`, concurrency: config.WORKER_CONCURRENCY, generator: generator.name, model: generator.model, healthPort: health.port, store: store.kind },
    'worker started',
  );

  async function shutdown(): Promise<void> {
    shuttingDown ??= (async () => {
      logger.info({ timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS }, 'shutting down: no new jobs; waiting for active ones');
      await sweeper.stop();
      const closing = worker.close();
      const timer = setTimeout(() => {
        logger.warn('shutdown timeout reached: releasing active jobs to another worker');
        worker.cancelAllJobs(RELEASED_FOR_SHUTDOWN);
      }, config.WORKER_SHUTDOWN_TIMEOUT_MS);
      try {
        await closing;
      } finally {
        clearTimeout(timer);
      }
      await health.close();
      await queue.close().catch(() => undefined);
      await Promise.allSettled([workerRedis.quit(), producerRedis.quit()]);
      await db.close();
      logger.info('worker stopped');
    })();
    return shuttingDown;
  }

  return { worker, db, healthPort: health.port, sweeper, metrics, shutdown };
}
