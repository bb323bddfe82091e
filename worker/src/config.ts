import { z } from 'zod';
import { databaseUrl, logLevel, optionalString, port, positiveInt, queuePrefix, redisUrl, storageFields } from '@opad/core/config';

const emptyAsUndefined = (value: unknown): unknown => (value === '' ? undefined : value);

/** `host` or `host:port` entries, lower-cased; empty when unset (the default: nothing bypasses the SSRF check). */
const hostList = z.preprocess(
  emptyAsUndefined,
  z
    .string()
    .default('')
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s.length > 0),
    ),
);

/**
 * The worker's environment, checked once at start.
 * - WORKER_CONCURRENCY (2): jobs one process runs at once.
 * - WORKER_SHUTDOWN_TIMEOUT_MS (600000): on SIGTERM, how long active jobs may run before they
 *   are released to another worker.
 * - WORKER_LOCK_DURATION_MS (30000) / WORKER_STALLED_INTERVAL_MS (30000) / WORKER_MAX_STALLED_COUNT (2):
 *   BullMQ's stalled-job recovery: a crashed worker's job returns to the queue after at most
 *   lock duration + stalled interval.
 * - GENERATOR (auto): `openai`, `offline`, or `auto` = openai when OPENAI_API_KEY is set.
 * - FETCH_ALLOW_HOSTS (empty): hosts (`host` or `host:port`) that bypass the private-address
 *   check, for tests and local demos only.
 * - POD_NAME: the BullMQ worker name, so the autoscaler can tell which pods are busy.
 * - SWEEP_INTERVAL_MS (5000) / SWEEP_QUEUED_AFTER_MS (5000): how often the sweeper runs and how
 *   old a queued row must be before it is considered lost.
 */
export const configSchema = z.object({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  QUEUE_PREFIX: queuePrefix,
  HEALTH_PORT: port(9464),
  LOG_LEVEL: logLevel,
  WORKER_CONCURRENCY: positiveInt(2),
  WORKER_SHUTDOWN_TIMEOUT_MS: positiveInt(600_000),
  WORKER_LOCK_DURATION_MS: positiveInt(30_000),
  WORKER_STALLED_INTERVAL_MS: positiveInt(30_000),
  WORKER_MAX_STALLED_COUNT: positiveInt(2),
  ...storageFields,
  OPENAI_API_KEY: optionalString(),
  OPENAI_BASE_URL: z.preprocess(emptyAsUndefined, z.string().url().optional()),
  OPENAI_MODEL: z.preprocess(emptyAsUndefined, z.string().default('gpt-4o-mini')),
  OPENAI_TIMEOUT_MS: positiveInt(60_000),
  OPENAI_MAX_RETRIES: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).max(10).default(2)),
  GENERATOR: z.preprocess(emptyAsUndefined, z.enum(['auto', 'openai', 'offline']).default('auto')),
  FETCH_ALLOW_HOSTS: hostList,
  FETCH_TIMEOUT_MS: positiveInt(10_000),
  FETCH_MAX_BYTES: positiveInt(5 * 1024 * 1024),
  POD_NAME: optionalString(),
  SWEEP_INTERVAL_MS: positiveInt(5_000),
  SWEEP_QUEUED_AFTER_MS: positiveInt(5_000),
});

export type WorkerConfig = z.infer<typeof configSchema>;

/** The generator `auto` resolves to. */
export function resolveGeneratorName(config: Pick<WorkerConfig, 'GENERATOR' | 'OPENAI_API_KEY'>): 'openai' | 'offline' {
  if (config.GENERATOR === 'auto') return config.OPENAI_API_KEY ? 'openai' : 'offline';
  return config.GENERATOR;
}
