import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. The mixin adds the active trace and span ids when OpenTelemetry is
 * running (registered by `telemetry/register.ts`), so a log line leads to its trace.
 */
type TraceIdsProvider = () => Record<string, string>;
let traceIds: TraceIdsProvider = () => ({});

export function setTraceIdsProvider(provider: TraceIdsProvider): void {
  traceIds = provider;
}

export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info', options: LoggerOptions = {}): Logger {
  return pino({
    level,
    base: { service: `opad-${service}` },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin: () => traceIds(),
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.apiKey', '*.password', '*.secretAccessKey'],
      censor: '[redacted]',
    },
    ...options,
  });
}
