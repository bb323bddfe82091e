import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. The mixin adds the active trace and span ids when OpenTelemetry is
 * running (registered by `telemetry/register.ts`), so a log line leads to its trace.
 */
type TraceIdsProvider = () => Record<string, string>;
// Kept on globalThis: the web bundles its own copy of this module into its server build, while
// the instrumentation entry (loaded first, unbundled) sets the provider on the shared one.
const PROVIDER = Symbol.for('opad.logger.traceIdsProvider');
const slot = globalThis as unknown as Record<symbol, TraceIdsProvider | undefined>;
const traceIds = (): Record<string, string> => slot[PROVIDER]?.() ?? {};

export function setTraceIdsProvider(provider: TraceIdsProvider): void {
  slot[PROVIDER] = provider;
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
