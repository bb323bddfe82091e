/**
 * The instrumentation entry every service loads before its own code:
 *
 *   node --import @opad/core/telemetry/register src/main.ts
 *
 * Configured only by the standard OTEL_* variables (see settings.ts and docs/observability.md).
 * `OTEL_SDK_DISABLED=true` leaves everything off; the tracing helpers are then no-ops.
 */
import { startTelemetry } from './sdk.ts';

try {
  await startTelemetry();
} catch (error) {
  // Tracing must never keep a service from starting.
  process.stderr.write(`opentelemetry: not started: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}
