import { createPgPool } from '@opad/core/db/pg-pool';
import { createRedis } from '@opad/core/redis';
import { createGenerateQueue } from '@opad/core/queue';
import { createObjectStore } from '@opad/core/storage/create-object-store';
import type { Logger } from '@opad/core/logger';
import type { ApiConfig } from './config.ts';
import { generateQueueEvents, JobEventsHub } from './jobs/job-events.ts';
import type { AppDeps } from './app.ts';

/** Connects the api to its dependencies; `close()` releases them in reverse order. */
export function connectServices(config: ApiConfig, log: Logger): Omit<AppDeps, 'version' | 'rateLimitWritesPerMinute'> & { close(): Promise<void> } {
  // Plain pg, not the Sequelize models: the api's queries are few and its hot path is ingest.
  const db = createPgPool(config.DATABASE_URL, {
    max: config.DB_POOL_MAX,
    applicationName: 'opad-api',
    onError: (error) => log.warn({ err: error.message }, 'postgres connection error'),
  });
  // Producer profile: fail fast while Redis is down so requests answer 503 within a second.
  const redis = createRedis(config.REDIS_URL, 'producer');
  redis.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));
  const queue = createGenerateQueue(redis, config.QUEUE_PREFIX);
  queue.on('error', (error) => log.warn({ err: error.message }, 'queue error'));
  // The hub opens the queue's event stream only while an SSE client follows a job.
  const hub = new JobEventsHub(generateQueueEvents(config.REDIS_URL, config.QUEUE_PREFIX), log);
  const store = createObjectStore(config);
  return {
    db,
    redis,
    queue,
    hub,
    store,
    log,
    close: async () => {
      await hub.close().catch(() => undefined);
      await queue.close().catch(() => undefined);
      // BullMQ leaves connections it was handed open; they are ours to close.
      redis.disconnect();
      await db.end().catch(() => undefined);
    },
  };
}
