/**
 * How the standard `OTEL_*` variables map onto OPAD's tracing setup. Pure functions of the
 * environment, so the rules are unit-tested without starting anything.
 *
 * Defaults that differ from the OpenTelemetry spec, on purpose:
 * - `OTEL_TRACES_EXPORTER` defaults to `none` unless `OTEL_EXPORTER_OTLP_ENDPOINT` or
 *   `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (the spec says `otlp` to localhost:4318, which on
 *   a laptop or in CI without a collector only logs connection errors). Spans are still created
 *   and propagated, so logs and the api's `x-trace-id` header carry trace ids either way.
 * - Only the OTLP/HTTP protocols are bundled (`http/protobuf`, the default, and `http/json`);
 *   `grpc` falls back to `http/protobuf` with a warning (collectors listen on both, 4318 is HTTP).
 */

export type Env = Readonly<Record<string, string | undefined>>;

export type SamplerSetting =
  | { readonly kind: 'always_on' | 'always_off' | 'parentbased_always_on' | 'parentbased_always_off' }
  | { readonly kind: 'traceidratio' | 'parentbased_traceidratio'; readonly ratio: number };

export type ExporterName = 'otlp' | 'console' | 'none';
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetrySettings {
  /** `OTEL_SDK_DISABLED=true`: nothing is started, the API stays a no-op. */
  readonly disabled: boolean;
  readonly serviceName: string;
  readonly exporters: readonly ExporterName[];
  readonly protocol: OtlpProtocol;
  readonly sampler: SamplerSetting;
  readonly batch: {
    readonly scheduledDelayMillis?: number;
    readonly maxExportBatchSize?: number;
    readonly maxQueueSize?: number;
    readonly exportTimeoutMillis?: number;
  };
  /** Resource attributes from the environment beyond OTEL_RESOURCE_ATTRIBUTES (which the SDK reads). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** `OPAD_OTEL_CAPTURE_CONTENT=true`: LLM prompt and completion text go on spans (off by default). */
  readonly captureContent: boolean;
  readonly warnings: readonly string[];
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v.trim() === '' ? undefined : v.trim());

export function isTrue(v: string | undefined): boolean {
  return ['true', '1', 'yes'].includes((v ?? '').trim().toLowerCase());
}

function positiveNumber(env: Env, name: string, warnings: string[]): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    warnings.push(`${name}=${raw} is not a positive number; using the default`);
    return undefined;
  }
  return n;
}

export function parseSampler(env: Env, warnings: string[] = []): SamplerSetting {
  const name = (nonEmpty(env.OTEL_TRACES_SAMPLER) ?? 'parentbased_always_on').toLowerCase();
  const arg = nonEmpty(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = () => {
    const r = arg === undefined ? 1 : Number(arg);
    if (!Number.isFinite(r) || r < 0 || r > 1) {
      warnings.push(`OTEL_TRACES_SAMPLER_ARG=${arg} is not a ratio in [0, 1]; using 1`);
      return 1;
    }
    return r;
  };
  switch (name) {
    case 'always_on':
    case 'always_off':
    case 'parentbased_always_on':
    case 'parentbased_always_off':
      return { kind: name };
    case 'traceidratio':
    case 'parentbased_traceidratio':
      return { kind: name, ratio: ratio() };
    default:
      warnings.push(`OTEL_TRACES_SAMPLER=${name} is not supported; using parentbased_always_on`);
      return { kind: 'parentbased_always_on' };
  }
}

export function parseExporters(env: Env, warnings: string[] = []): ExporterName[] {
  const raw = nonEmpty(env.OTEL_TRACES_EXPORTER);
  if (raw === undefined) {
    const endpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
    return endpoint ? ['otlp'] : ['none'];
  }
  const names = raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const out: ExporterName[] = [];
  for (const n of names) {
    if (n === 'otlp' || n === 'console' || n === 'none') {
      if (!out.includes(n)) out.push(n);
    } else warnings.push(`OTEL_TRACES_EXPORTER: "${n}" is not supported (otlp, console, none); ignored`);
  }
  if (out.includes('none') || out.length === 0) return ['none'];
  return out;
}

export function parseProtocol(env: Env, warnings: string[] = []): OtlpProtocol {
  const raw = (nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL) ?? 'http/protobuf').toLowerCase();
  if (raw === 'http/protobuf' || raw === 'http/json') return raw;
  warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL=${raw} is not bundled; using http/protobuf`);
  return 'http/protobuf';
}

/** `@opad/api` in the working directory's package.json → `opad-api` (when OTEL_SERVICE_NAME is unset). */
export function serviceNameFromPackage(packageName: string | undefined): string | undefined {
  if (!packageName) return undefined;
  const m = /^@opad\/([a-z0-9-]+)$/.exec(packageName);
  return m ? `opad-${m[1]}` : packageName;
}

export function readTelemetrySettings(env: Env, pkg: { name?: string; version?: string } = {}): TelemetrySettings {
  const warnings: string[] = [];
  const resourceAttributes: Record<string, string> = {};
  const version = nonEmpty(env.OPAD_VERSION) ?? nonEmpty(env.npm_package_version) ?? nonEmpty(pkg.version);
  if (version) resourceAttributes['service.version'] = version;
  // Downward-API variables, for charts that set them directly instead of in OTEL_RESOURCE_ATTRIBUTES
  // (which wins: the SDK merges it over these).
  const k8s: Array<[string, string | undefined]> = [
    ['k8s.pod.name', nonEmpty(env.K8S_POD_NAME) ?? nonEmpty(env.POD_NAME)],
    ['k8s.namespace.name', nonEmpty(env.K8S_NAMESPACE_NAME) ?? nonEmpty(env.POD_NAMESPACE)],
    ['k8s.node.name', nonEmpty(env.K8S_NODE_NAME) ?? nonEmpty(env.NODE_NAME)],
  ];
  for (const [key, value] of k8s) if (value) resourceAttributes[key] = value;
  return {
    disabled: isTrue(env.OTEL_SDK_DISABLED),
    serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? serviceNameFromPackage(pkg.name) ?? 'opad',
    exporters: parseExporters(env, warnings),
    protocol: parseProtocol(env, warnings),
    sampler: parseSampler(env, warnings),
    batch: {
      scheduledDelayMillis: positiveNumber(env, 'OTEL_BSP_SCHEDULE_DELAY', warnings),
      maxExportBatchSize: positiveNumber(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', warnings),
      maxQueueSize: positiveNumber(env, 'OTEL_BSP_MAX_QUEUE_SIZE', warnings),
      exportTimeoutMillis: positiveNumber(env, 'OTEL_BSP_EXPORT_TIMEOUT', warnings),
    },
    resourceAttributes,
    captureContent: isTrue(env.OPAD_OTEL_CAPTURE_CONTENT),
    warnings,
  };
}
