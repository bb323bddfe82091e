import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAdminDatabaseUrl } from '../testing/database.ts';
import { startOtlpReceiver, SPAN_KIND, STATUS_CODE, type OtlpReceiver } from '../testing/otlp-receiver.ts';
import { getRedisUrl } from '../testing/redis.ts';
import { startS3Server, type S3ServerHandle } from '../testing/s3.ts';

/**
 * The instrumentation entry, for real: a child process started exactly like the services
 * (`node --import @opad/core/telemetry/register`, Node 24, native TypeScript) imports pg,
 * ioredis, express and the S3 client as ES modules; its spans reach an OTLP/HTTP receiver.
 * Inbound server spans come from our own http-server-spans.ts (scope `opad.http.server`).
 */

const ROOT = new URL('../../../', import.meta.url).pathname;

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function runFixture(env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', '@opad/core/telemetry/register', 'core/src/telemetry/fixtures/instrumented-app.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('telemetry/register', () => {
  let receiver: OtlpReceiver;
  let s3: S3ServerHandle;
  let baseEnv: Record<string, string>;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    s3 = await startS3Server(`otel-${randomUUID().slice(0, 8)}`);
    baseEnv = {
      DATABASE_URL: getAdminDatabaseUrl(),
      REDIS_URL: getRedisUrl(),
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      OTEL_SERVICE_NAME: 'opad-fixture',
    };
  });
  afterAll(async () => {
    await receiver?.close();
    await s3?.stop();
  });

  it.each(['http/protobuf', 'http/json'])('exports http (named by the Express route), pg, ioredis, s3 and fetch spans of an ESM app over %s', async (protocol) => {
    receiver.clear();
    const run = await runFixture({
      ...baseEnv,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=fixture-0,k8s.namespace.name=opad-test',
    });
    expect(run.code, run.stderr).toBe(0);
    const spans = receiver.spans;
    const work = spans.find((s) => s.name === 'fixture.work');
    expect(work, JSON.stringify(spans.map((s) => s.name))).toBeDefined();
    const trace = spans.filter((s) => s.traceId === work!.traceId);
    const scopes = new Set(trace.map((s) => s.scope));
    for (const scope of ['undici', 'http', 'pg', 'ioredis', 'aws-sdk']) {
      expect(scopes, `no ${scope} span`).toContain(`@opentelemetry/instrumentation-${scope}`);
    }
    const server = trace.find((s) => s.kind === SPAN_KIND.SERVER)!;
    expect(server.scope).toBe('opad.http.server');
    expect(server.name).toBe('GET /work/:id'); // named by the route Express matched
    expect(server.attributes).toMatchObject({
      'http.route': '/work/:id',
      'http.request.method': 'GET',
      'url.path': '/work/42',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
    });
    expect(server.status.code).not.toBe(STATUS_CODE.ERROR);
    expect(work!.parentSpanId).toBe(server.spanId);
    const client = trace.find((s) => s.kind === SPAN_KIND.CLIENT && s.scope.endsWith('undici'))!;
    expect(server.parentSpanId).toBe(client.spanId);
    const s3Span = trace.find((s) => s.scope.endsWith('aws-sdk'))!;
    expect(s3Span.attributes['rpc.service'] ?? s3Span.name).toMatch(/S3/);
    // a JSON body sent 50 ms after its headers: the route's query, run once the body is parsed, is
    // still under the server span, which continues the caller's traceparent (its http client span)
    const posted = spans.find((s) => s.kind === SPAN_KIND.SERVER && s.name === 'POST /notes')!;
    const caller = spans.find((s) => s.spanId === posted.parentSpanId)!;
    expect(caller.kind).toBe(SPAN_KIND.CLIENT);
    expect(caller.traceId).toBe(posted.traceId);
    expect(posted.attributes['http.response.status_code']).toBe(201);
    const noteQuery = spans.filter((s) => s.traceId === posted.traceId && s.scope.endsWith('pg'));
    expect(noteQuery.map((s) => s.parentSpanId)).toContain(posted.spanId);
    // a 500 is an error on the server span
    const failed = spans.find((s) => s.kind === SPAN_KIND.SERVER && s.name === 'GET /fail')!;
    expect(failed.status.code).toBe(STATUS_CODE.ERROR);
    expect(failed.attributes['error.type']).toBe('500');
    // probes are not traced
    expect(spans.some((s) => s.kind === SPAN_KIND.SERVER && String(s.attributes['url.path']).startsWith('/healthz'))).toBe(false);
    // resource: name, version, k8s attributes from OTEL_RESOURCE_ATTRIBUTES
    expect(work!.serviceName).toBe('opad-fixture');
    expect(work!.resource['service.version']).toBe('0.1.0');
    expect(work!.resource['k8s.pod.name']).toBe('fixture-0');
    expect(work!.resource['k8s.namespace.name']).toBe('opad-test');
    // the log line carries the trace id of the span it was written in
    const line = run.stdout.split('\n').find((l) => l.includes('fixture work done'));
    expect(JSON.parse(line!)).toMatchObject({ trace_id: work!.traceId, span_id: work!.spanId });
  });

  it('exports nothing and still runs with OTEL_SDK_DISABLED=true', async () => {
    const before = receiver.requests();
    const run = await runFixture({ ...baseEnv, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    expect(receiver.requests()).toBe(before);
    const line = run.stdout.split('\n').find((l) => l.includes('fixture work done'));
    expect(JSON.parse(line!)).not.toHaveProperty('trace_id');
  });

  it('without an endpoint exports nothing, prints no connection errors, and logs still carry trace ids', async () => {
    const run = await runFixture({ ...baseEnv });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const line = run.stdout.split('\n').find((l) => l.includes('fixture work done'));
    expect(JSON.parse(line!).trace_id).toMatch(/^[0-9a-f]{32}$/);
  });
});
