import { describe, expect, it } from 'vitest';
import { parseExporters, parseProtocol, parseSampler, readTelemetrySettings, serviceNameFromPackage } from './settings.ts';

describe('telemetry settings from OTEL_* variables', () => {
  it('exports nothing unless an endpoint or an exporter is named', () => {
    expect(parseExporters({})).toEqual(['none']);
    expect(parseExporters({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual(['otlp']);
    expect(parseExporters({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toEqual(['otlp']);
    expect(parseExporters({ OTEL_TRACES_EXPORTER: 'otlp' })).toEqual(['otlp']);
    expect(parseExporters({ OTEL_TRACES_EXPORTER: 'console,otlp' })).toEqual(['console', 'otlp']);
    expect(parseExporters({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual(['none']);
    const warnings: string[] = [];
    expect(parseExporters({ OTEL_TRACES_EXPORTER: 'zipkin' }, warnings)).toEqual(['none']);
    expect(warnings[0]).toMatch(/zipkin/);
  });

  it('reads the sampler and its ratio', () => {
    expect(parseSampler({})).toEqual({ kind: 'parentbased_always_on' });
    expect(parseSampler({ OTEL_TRACES_SAMPLER: 'always_on' })).toEqual({ kind: 'always_on' });
    expect(parseSampler({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toEqual({ kind: 'parentbased_traceidratio', ratio: 0.25 });
    const warnings: string[] = [];
    expect(parseSampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }, warnings)).toEqual({ kind: 'traceidratio', ratio: 1 });
    expect(parseSampler({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, warnings)).toEqual({ kind: 'parentbased_always_on' });
    expect(warnings).toHaveLength(2);
  });

  it('bundles the two OTLP/HTTP protocols and falls back from grpc', () => {
    expect(parseProtocol({})).toBe('http/protobuf');
    expect(parseProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('http/json');
    expect(parseProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' })).toBe('http/protobuf');
    const warnings: string[] = [];
    expect(parseProtocol({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, warnings)).toBe('http/protobuf');
    expect(warnings).toHaveLength(1);
  });

  it('names the service from OTEL_SERVICE_NAME, else from the workspace package', () => {
    expect(serviceNameFromPackage('@opad/worker')).toBe('opad-worker');
    expect(readTelemetrySettings({}, { name: '@opad/api' }).serviceName).toBe('opad-api');
    expect(readTelemetrySettings({ OTEL_SERVICE_NAME: 'opad-web' }, { name: '@opad/api' }).serviceName).toBe('opad-web');
  });

  it('adds version and downward-API pod attributes to the resource', () => {
    const s = readTelemetrySettings({ K8S_POD_NAME: 'worker-abc', K8S_NAMESPACE_NAME: 'opad', OPAD_VERSION: '1.2.3' }, { version: '0.1.0' });
    expect(s.resourceAttributes).toEqual({ 'service.version': '1.2.3', 'k8s.pod.name': 'worker-abc', 'k8s.namespace.name': 'opad' });
    expect(readTelemetrySettings({}, { version: '0.1.0' }).resourceAttributes).toEqual({ 'service.version': '0.1.0' });
  });

  it('is disabled only by OTEL_SDK_DISABLED=true, and content capture is off by default', () => {
    expect(readTelemetrySettings({ OTEL_SDK_DISABLED: 'true' }).disabled).toBe(true);
    expect(readTelemetrySettings({ OTEL_SDK_DISABLED: 'false' }).disabled).toBe(false);
    expect(readTelemetrySettings({}).captureContent).toBe(false);
    expect(readTelemetrySettings({ OPAD_OTEL_CAPTURE_CONTENT: 'true' }).captureContent).toBe(true);
  });

  it('reads batch processor settings and ignores bad values with a warning', () => {
    const s = readTelemetrySettings({ OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_MAX_QUEUE_SIZE: 'lots' });
    expect(s.batch.scheduledDelayMillis).toBe(200);
    expect(s.batch.maxQueueSize).toBeUndefined();
    expect(s.warnings.join()).toMatch(/OTEL_BSP_MAX_QUEUE_SIZE/);
  });
});

describe('instrumentation selection (OTEL_NODE_ENABLED_INSTRUMENTATIONS / OTEL_NODE_DISABLED_INSTRUMENTATIONS)', () => {
  it('enables all by default, and honours both lists', async () => {
    const { selectInstrumentations, INSTRUMENTATION_NAMES } = await import('./sdk.ts');
    expect([...selectInstrumentations({})]).toEqual([...INSTRUMENTATION_NAMES]);
    expect([...selectInstrumentations({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici, aws-sdk' })]).toEqual(['http', 'pg', 'ioredis', 'remix']);
    expect([...selectInstrumentations({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' })]).toEqual(['http']);
  });
});
