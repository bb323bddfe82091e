import { loadConfigOrExit } from '@opad/core/config';
import { createLogger } from '@opad/core/logger';
import { shutdownTelemetry } from '@opad/core/telemetry/sdk';
import { configSchema } from './config.ts';
import { startWorkerApp } from './worker-app.ts';

const config = loadConfigOrExit(configSchema, 'worker');
const logger = createLogger('worker', config.LOG_LEVEL);

try {
  const app = await startWorkerApp(config, { logger });
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: exiting now; active jobs return to the queue when their locks expire');
      process.exit(130);
    }
    logger.info({ signal }, 'signal received');
    app.shutdown().then(
      // the last jobs' spans go out before the exit
      () => shutdownTelemetry().finally(() => process.exit(0)),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (error) {
  logger.fatal({ err: error }, 'worker could not start');
  process.exit(1);
}
