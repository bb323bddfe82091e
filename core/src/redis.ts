import { Redis, type RedisOptions } from 'ioredis';

export type { Redis };

/**
 * Two connection profiles:
 * - `worker` (BullMQ Worker/QueueEvents): blocking commands, retry forever, never fail a command
 *   just because Redis blipped (BullMQ requires maxRetriesPerRequest: null).
 * - `producer` (api requests): fail fast, so a request answers 503 within a second instead of
 *   hanging while Redis is down; the sweeper enqueues what could not be added.
 */
export function createRedis(url: string, profile: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  const common: RedisOptions = {
    lazyConnect: false,
    connectTimeout: 2_000,
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    ...extra,
  };
  if (profile === 'worker') return new Redis(url, { ...common, maxRetriesPerRequest: null, enableReadyCheck: true });
  return new Redis(url, {
    ...common,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: 1_000,
  });
}
