// The autoscaler's environment, checked once at start.
import { z } from 'zod';
import { logLevel, optionalString, port, positiveInt, redisUrl } from '@opad/core/config';

const emptyAsUndefined = (value: unknown): unknown => (value === '' ? undefined : value);
const seconds = (fallback: number) => z.preprocess(emptyAsUndefined, z.coerce.number().positive().default(fallback));

export const configSchema = z
  .object({
    /** /healthz, /readyz and /metrics */
    HEALTH_PORT: port(9464),
    LOG_LEVEL: logLevel,
    /** Redis for QueueScalers that name no Secret of their own */
    REDIS_URL: redisUrl,
    /** comma-separated namespaces to watch; empty = the whole cluster */
    WATCH_NAMESPACES: optionalString(),
    /** single-namespace alias of WATCH_NAMESPACES */
    WATCH_NAMESPACE: optionalString(),
    LEADER_ELECTION_ENABLED: z.preprocess(
      emptyAsUndefined,
      z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
    ),
    LEADER_ELECTION_LEASE_NAME: z.preprocess(emptyAsUndefined, z.string().default('opad-autoscaler')),
    /** where the Lease lives; defaults to POD_NAMESPACE */
    LEADER_ELECTION_NAMESPACE: optionalString(),
    LEADER_ELECTION_LEASE_DURATION_SECONDS: seconds(15),
    LEADER_ELECTION_RENEW_DEADLINE_SECONDS: seconds(10),
    LEADER_ELECTION_RETRY_PERIOD_SECONDS: seconds(2),
    /** the downward API's metadata.name: the leader identity and the Events' reportingInstance */
    POD_NAME: z.preprocess(emptyAsUndefined, z.string().default(`opad-autoscaler-${process.pid}`)),
    POD_NAMESPACE: z.preprocess(emptyAsUndefined, z.string().default('default')),
    /** minimum gap between two reconciles of one QueueScaler triggered by queue events */
    EVENT_DEBOUNCE_MS: positiveInt(200),
  })
  .transform((c) => ({
    ...c,
    namespaces: (c.WATCH_NAMESPACES ?? c.WATCH_NAMESPACE ?? '')
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean),
    leaseNamespace: c.LEADER_ELECTION_NAMESPACE ?? c.POD_NAMESPACE,
  }));

export type AutoscalerConfig = z.infer<typeof configSchema>;
