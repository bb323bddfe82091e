import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { context, diag, DiagConsoleLogger, propagation, trace, type DiagLogLevel } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, diagLogLevelFromString, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { setTraceIdsProvider } from '../logger.ts';
import { setContextAttacher } from './stages.ts';
import { expressRouteOf, startHttpServerSpans } from './http-server-spans.ts';
import { PooledRandomIdGenerator } from './ids.ts';
import { LeanTracer } from './lean-tracer.ts';
import { RemixInstrumentation } from './remix-instrumentation.ts';
import { readTelemetrySettings, type Env, type SamplerSetting, type TelemetrySettings } from './settings.ts';
import { traceIdsForLog } from './tracing.ts';

/**
 * The OpenTelemetry SDK for OPAD's Node services: a tracer provider, W3C propagation, OTLP/HTTP
 * export and the instrumentations the services need (inbound HTTP server spans of our own,
 * named by the Express route; outbound http, undici/fetch, pg, ioredis, aws-sdk). Started by
 * `register.ts` (`node --import @opad/core/telemetry/register`), before any app module is
 * loaded, so that the instrumentations patch the modules the app then imports.
 */

/** Inbound requests that are never traced: probes, metrics scrapes, static assets (one regex: it runs on every request). */
const UNTRACED_PATH = /^\/(?:(?:healthz|readyz|livez|metrics)(?:[/?]|$)|(?:build|assets)\/|favicon\.ico)/;

/** The response header with the request's trace id, for bug reports (http-server-spans.ts). */
export const TRACE_ID_HEADER = 'x-trace-id';

export function isUntracedPath(url: string | undefined): boolean {
  return url !== undefined && UNTRACED_PATH.test(url);
}

function buildSampler(setting: SamplerSetting): Sampler {
  switch (setting.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(setting.ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(setting.ratio) });
  }
}

/**
 * The span pipeline of one exporter. OTLP over HTTP/protobuf (the default protocol) goes through
 * our EncodingSpanProcessor, which encodes each span as it ends (with the SDK's BatchSpanProcessor
 * the export path was ~60 % of the tracing cost of the api's ingest request; this took +9 % req/s:
 * otlp/encoding-span-processor.ts); http/json and the console exporter keep the SDK's
 * BatchSpanProcessor. Modules load only when used.
 */
async function buildSpanProcessor(name: 'otlp' | 'console', settings: TelemetrySettings): Promise<SpanProcessor> {
  const batch = definedOnly(settings.batch);
  if (name === 'console') return new BatchSpanProcessor({ exporter: new ConsoleSpanExporter(), ...batch });
  // Endpoint, headers, timeout and compression come from OTEL_EXPORTER_OTLP_* (read by the exporter).
  if (settings.protocol === 'http/json') {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    return new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batch });
  }
  const [{ EncodingSpanProcessor }, { createOtlpProtobufExporter }] = await Promise.all([
    import('./otlp/encoding-span-processor.ts'),
    import('./otlp/protobuf-exporter.ts'),
  ]);
  return new EncodingSpanProcessor({ exporter: createOtlpProtobufExporter(), ...batch });
}

/**
 * ESM support: the instrumentations patch CommonJS modules through require-in-the-middle, and
 * ES modules (and CommonJS modules reached through `import`) through import-in-the-middle's
 * loader hook. Node 24 runs it in-thread (`module.registerHooks`); older Nodes use the
 * off-thread `module.register` loader.
 */
/**
 * The ES-module imports the instrumentations patch (CommonJS internals go through
 * require-in-the-middle). Intercepting only these, not every module, saves ~12 MB RSS and the
 * wrapping cost at startup; register.test.ts checks that each instrumentation still sees its module.
 */
const ESM_HOOKED = ['pg', 'pg-pool', 'ioredis', '@smithy/smithy-client', '@smithy/middleware-stack', '@smithy/core', '@aws-sdk/middleware-stack', '@aws-sdk/smithy-client'];

async function registerEsmHook(): Promise<void> {
  const hooks = await import('import-in-the-middle/register-hooks.mjs');
  if (hooks.supportsSyncHooks()) {
    hooks.register({ include: ESM_HOOKED });
    return;
  }
  const { register } = await import('node:module');
  register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: ESM_HOOKED } });
}

/** The instrumentations by the short names `OTEL_NODE_ENABLED_INSTRUMENTATIONS` / `_DISABLED_` use. */
export const INSTRUMENTATION_NAMES = ['http', 'undici', 'pg', 'ioredis', 'aws-sdk', 'remix'] as const;
type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

/** The same variables as `@opentelemetry/auto-instrumentations-node`: comma-separated short names. */
export function selectInstrumentations(env: Env): Set<InstrumentationName> {
  const list = (v: string | undefined) => new Set((v ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  const enabled = list(env.OTEL_NODE_ENABLED_INSTRUMENTATIONS);
  const disabled = list(env.OTEL_NODE_DISABLED_INSTRUMENTATIONS);
  return new Set(INSTRUMENTATION_NAMES.filter((n) => (enabled.size === 0 || enabled.has(n)) && !disabled.has(n)));
}

async function loadInstrumentations(use: ReadonlySet<InstrumentationName>): Promise<Instrumentation[]> {
  const out: Instrumentation[] = [];
  if (use.has('http')) {
    // Outbound only: inbound requests get their server spans from http-server-spans.ts.
    const { HttpInstrumentation } = await import('@opentelemetry/instrumentation-http');
    out.push(new HttpInstrumentation({ disableIncomingRequestInstrumentation: true }));
  }
  if (use.has('undici')) {
    const { UndiciInstrumentation } = await import('@opentelemetry/instrumentation-undici');
    out.push(new UndiciInstrumentation());
  }
  if (use.has('pg')) {
    const { PgInstrumentation } = await import('@opentelemetry/instrumentation-pg');
    // Only inside a traced operation: pool housekeeping and BullMQ's blocking polls would otherwise
    // make a root trace each. Query parameters are never recorded (enhancedDatabaseReporting off).
    out.push(new PgInstrumentation({ requireParentSpan: true, enhancedDatabaseReporting: false, ignoreConnectSpans: true }));
  }
  if (use.has('ioredis')) {
    const { IORedisInstrumentation } = await import('@opentelemetry/instrumentation-ioredis');
    out.push(new IORedisInstrumentation({ requireParentSpan: true }));
  }
  if (use.has('aws-sdk')) {
    const { AwsInstrumentation } = await import('@opentelemetry/instrumentation-aws-sdk');
    out.push(new AwsInstrumentation({ suppressInternalInstrumentation: true }));
  }
  if (use.has('remix')) out.push(new RemixInstrumentation());
  return out;
}

function readPackageJson(): { name?: string; version?: string } {
  try {
    return JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name?: string; version?: string };
  } catch {
    return {};
  }
}

export interface TelemetryHandle {
  readonly settings: TelemetrySettings;
  readonly provider: TracerProvider | undefined;
}

let provider: TracerProvider | undefined;
let shuttingDown: Promise<void> | undefined;

/** Export what has ended so far (bounded wait). Safe to call when telemetry is off. */
export async function flushTelemetry(timeoutMillis = 5_000): Promise<void> {
  await provider?.forceFlush({ timeoutMillis }).catch((e: unknown) => diag.warn('telemetry flush failed', e));
}

/**
 * Flush and stop the SDK, once. Apps that end with `process.exit()` after their own drain should
 * `await shutdownTelemetry()` first; apps that just let the event loop empty need not (the
 * `beforeExit` hook does it).
 */
export function shutdownTelemetry(): Promise<void> {
  if (!provider) return Promise.resolve();
  shuttingDown ??= provider.shutdown().catch((e: unknown) => diag.warn('telemetry shutdown failed', e));
  return shuttingDown;
}

/**
 * SIGTERM/SIGINT: the app's own handlers (the worker drains its jobs) keep control. If the app
 * registered none, the default behaviour — terminate — is kept, after a flush. If it did, the
 * spans ended so far are flushed now, the rest at `beforeExit` or by the app's `shutdownTelemetry()`.
 */
function installShutdownHooks(): void {
  const onSignal = (signal: NodeJS.Signals): void => {
    const others = process.listeners(signal).filter((l) => l !== onSignal);
    if (others.length > 0) {
      void flushTelemetry(2_000);
      return;
    }
    const stop = setTimeout(() => undefined, 10_000); // keep the loop alive while flushing
    void shutdownTelemetry().finally(() => {
      clearTimeout(stop);
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.once('beforeExit', () => void shutdownTelemetry());
}

export async function startTelemetry(env: Env = process.env): Promise<TelemetryHandle> {
  const pkg = readPackageJson();
  const settings = readTelemetrySettings(env, pkg);
  if (settings.disabled) return { settings, provider: undefined };
  if (provider) return { settings, provider };

  const logLevel = env.OTEL_LOG_LEVEL ? diagLogLevelFromString(env.OTEL_LOG_LEVEL) : undefined;
  if (logLevel !== undefined) diag.setLogger(new DiagConsoleLogger(), { logLevel: logLevel as DiagLogLevel });
  for (const w of settings.warnings) process.stderr.write(`opentelemetry: ${w}\n`);

  await registerEsmHook();

  const detected = detectResources({ detectors: [envDetector] });
  const resource = resourceFromAttributes({ 'service.name': settings.serviceName, ...settings.resourceAttributes }).merge(detected);

  const spanProcessors: SpanProcessor[] = [];
  for (const name of settings.exporters) {
    if (name === 'none') continue;
    spanProcessors.push(await buildSpanProcessor(name, settings));
  }

  const sampler = buildSampler(settings.sampler);
  const idGenerator = new PooledRandomIdGenerator();
  provider = new TracerProvider({ resource, sampler, spanProcessors, idGenerator });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  setContextAttacher((ctx) => void contextManager.attach(ctx));
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  const use = selectInstrumentations(env);
  registerInstrumentations({ tracerProvider: provider, instrumentations: await loadInstrumentations(use) });
  if (use.has('http')) {
    startHttpServerSpans({
      // The same sampler, ids, processors and resource as the provider's spans (lean-tracer.ts).
      tracer: new LeanTracer({ sampler, idGenerator, spanProcessors, resource, scope: { name: 'opad.http.server' } }),
      attach: (ctx) => void contextManager.attach(ctx),
      isUntraced: isUntracedPath,
      routeOf: expressRouteOf,
      traceIdHeader: TRACE_ID_HEADER,
    });
  }

  setTraceIdsProvider(traceIdsForLog);
  installShutdownHooks();
  return { settings, provider };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
