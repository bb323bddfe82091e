// Entry point: `npm run start -w @opad/autoscaler`.
import { KubeConfig } from '@kubernetes/client-node';
import { loadConfigOrExit } from '@opad/core/config';
import { createLogger } from '@opad/core/logger';
import { Autoscaler } from './autoscaler.ts';
import { configSchema } from './config.ts';
import { startHealthServer } from './health-server.ts';
import { createMetrics } from './metrics.ts';

const config = loadConfigOrExit(configSchema, 'autoscaler');
const log = createLogger('autoscaler', config.LOG_LEVEL);

const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // in-cluster service account, else KUBECONFIG / ~/.kube/config

const metrics = createMetrics(true);
const autoscaler = new Autoscaler({
  kubeConfig,
  log,
  identity: config.POD_NAME,
  namespaces: config.namespaces,
  defaultRedisUrl: config.REDIS_URL,
  eventDebounceMs: config.EVENT_DEBOUNCE_MS,
  metrics,
  ...(config.LEADER_ELECTION_ENABLED
    ? {
        leaderElection: {
          namespace: config.leaseNamespace,
          name: config.LEADER_ELECTION_LEASE_NAME,
          leaseDurationSeconds: config.LEADER_ELECTION_LEASE_DURATION_SECONDS,
          renewDeadlineSeconds: config.LEADER_ELECTION_RENEW_DEADLINE_SECONDS,
          retryPeriodSeconds: config.LEADER_ELECTION_RETRY_PERIOD_SECONDS,
        },
      }
    : {}),
});

const server = await startHealthServer(config.HEALTH_PORT, metrics.registry, { ready: () => autoscaler.ready() });
autoscaler.start();
log.info({ namespaces: config.namespaces, identity: config.POD_NAME, port: config.HEALTH_PORT }, 'autoscaler started');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void autoscaler
      .stop()
      .finally(() => server.close(() => process.exit(0)));
    setTimeout(() => process.exit(0), 10_000).unref();
  });
}
