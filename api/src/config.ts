import { z } from 'zod';
import { databaseUrl, logLevel, port, positiveInt, queuePrefix, redisUrl, storageFields } from '@opad/core/config';

/** The api's environment, checked once at start (see core/config.ts for the shared fragments). */
export const configSchema = z.object({
  DATABASE_URL: databaseUrl,
  REDIS_URL: redisUrl,
  QUEUE_PREFIX: queuePrefix,
  PORT: port(8080),
  LOG_LEVEL: logLevel,
  /** Writes (create, generate, delete) per client IP per minute; 0 turns the limit off. */
  RATE_LIMIT_WRITES_PER_MINUTE: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).default(300)),
  /** Behind a load balancer or ingress, trust X-Forwarded-For for the client IP (hops). */
  TRUST_PROXY_HOPS: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(0).default(0)),
  DB_POOL_MAX: positiveInt(10),
  ...storageFields,
});

export type ApiConfig = z.infer<typeof configSchema>;
