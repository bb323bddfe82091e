import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@opad/core/testing/database';
import { startOtlpReceiver, SPAN_KIND, STATUS_CODE, type OtlpReceiver, type ReceivedSpan } from '@opad/core/testing/otlp-receiver';
import { freePort, waitFor } from '@opad/core/testing/ports';
import { deletePrefixedKeys, getRedisUrl, uniquePrefix } from '@opad/core/testing/redis';
import { startS3Server, type S3ServerHandle } from '@opad/core/testing/s3';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../worker/src/testing/fake-openai-server.ts';

/**
 * One generation, one trace: the real stack (web, api, worker as processes started like in
 * production, `node --import @opad/core/telemetry/register`, on real Postgres, Redis and an S3
 * server) exports over OTLP/HTTP to a receiver this test starts and decodes.
 */

const root = resolve(import.meta.dirname, '..');
/** A word that appears only in the submitted source text: it must never reach a span. */
const MARKER = 'Quokkavelvetine';
const SOURCE_TEXT = Array.from({ length: 12 }, (_, i) =>
  `The small town of Riverford opened a floating garden on its old canal this spring. Volunteers planted reeds and flowers, and ${MARKER} ducks came back in week ${i + 1}. The mayor said the garden cleans the water and brings visitors.`,
).join('\n\n');

interface Proc {
  readonly logs: string[];
  stop(): Promise<void>;
}

async function startService(name: string, cwd: string, args: string[], env: Record<string, string>, readyUrl: string): Promise<Proc> {
  const logs: string[] = [];
  const child: ChildProcess = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${logs.join('').slice(-3000)}`))));
  exited.catch(() => undefined);
  await Promise.race([
    waitFor(async () => (await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) })).ok, 30_000, `${name} at ${readyUrl}`, 100),
    exited,
  ]);
  return {
    logs,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), 8_000);
      await gone;
      clearTimeout(force);
    },
  };
}

describe('one trace per generation (OpenTelemetry across web → api → queue → worker)', () => {
  let receiver: OtlpReceiver;
  let s3: S3ServerHandle;
  let llm: FakeOpenAIServer;
  let database: TestDatabase;
  let storageDir: string;
  let apiUrl: string;
  let webUrl: string;
  let workerHealth: string;
  let shared: Record<string, string>;
  let ports: { api: number; web: number; worker: number };
  let running: Proc[] = [];
  const register = ['--import', '@opad/core/telemetry/register'];

  const startApi = (env: Record<string, string> = {}) =>
    startService('api', resolve(root, 'api'), [...register, 'src/main.ts'], { ...shared, OTEL_SERVICE_NAME: 'opad-api', PORT: String(ports.api), RATE_LIMIT_WRITES_PER_MINUTE: '0', ...env }, `${apiUrl}/readyz`);
  const startWorker = (env: Record<string, string> = {}) =>
    startService(
      'worker',
      resolve(root, 'worker'),
      [...register, 'src/main.ts'],
      { ...shared, OTEL_SERVICE_NAME: 'opad-worker', HEALTH_PORT: String(ports.worker), GENERATOR: 'offline', SWEEP_INTERVAL_MS: '1000', ...env },
      workerHealth,
    );
  const startWeb = (env: Record<string, string> = {}) =>
    startService(
      'web',
      resolve(root, 'web'),
      [...register, resolve(root, 'node_modules/@remix-run/serve/dist/cli.js'), './build/server/index.js'],
      { ...shared, OTEL_SERVICE_NAME: 'opad-web', PORT: String(ports.web), API_BASE_URL: apiUrl, API_TIMEOUT_MS: '5000', ...env },
      `${webUrl}/healthz`,
    );
  const stopAll = async () => {
    for (const p of running.reverse()) await p.stop().catch(() => undefined);
    running = [];
  };

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    s3 = await startS3Server('opad-trace');
    llm = await startFakeOpenAIServer();
    database = await createTestDatabase('trace');
    storageDir = mkdtempSync(join(tmpdir(), 'opad-trace-'));
    ports = { api: await freePort(), web: await freePort(), worker: await freePort() };
    apiUrl = `http://127.0.0.1:${ports.api}`;
    webUrl = `http://127.0.0.1:${ports.web}`;
    workerHealth = `http://127.0.0.1:${ports.worker}/healthz`;
    shared = {
      DATABASE_URL: database.url,
      REDIS_URL: getRedisUrl(),
      QUEUE_PREFIX: uniquePrefix('trace'),
      STORAGE_DIR: storageDir,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
      S3_FORCE_PATH_STYLE: 'true',
      R2_BUCKET: '',
      OPENAI_API_KEY: '',
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SDK_DISABLED: 'false',
      OPAD_OTEL_CAPTURE_CONTENT: '',
    };
    running.push(await startApi(), await startWorker(), await startWeb());
  });

  afterAll(async () => {
    await stopAll();
    await Promise.all([receiver?.close(), s3?.stop(), llm?.close()]);
    await database?.drop().catch(() => undefined);
    if (shared?.REDIS_URL && shared.QUEUE_PREFIX) await deletePrefixedKeys(shared.REDIS_URL, shared.QUEUE_PREFIX);
    if (storageDir) rmSync(storageDir, { recursive: true, force: true });
  });

  /** Submits the web's create form (what the browser's Generate button posts) and returns the job id. */
  async function generateThroughWeb(): Promise<string> {
    const form = new URLSearchParams({ sourceKind: 'text', sourceText: SOURCE_TEXT, sourceTitle: 'Riverford garden', language: 'en', level: 'A2', targetWords: '80' });
    const res = await fetch(`${webUrl}/articles?index`, { method: 'POST', body: form, redirect: 'manual' });
    expect(res.status, await res.clone().text()).toBe(302);
    const jobId = /\/jobs\/([0-9a-f-]{36})/.exec(res.headers.get('location') ?? '')?.[1];
    expect(jobId).toBeDefined();
    return jobId!;
  }

  async function generateThroughApi(): Promise<string> {
    const created = await fetch(`${apiUrl}/articles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sourceText: SOURCE_TEXT, language: 'en', level: 'A2', targetWords: 80 }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const res = await fetch(`${apiUrl}/articles/${id}/generate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(202);
    return ((await res.json()) as { jobId: string }).jobId;
  }

  async function waitForJob(jobId: string, status: 'succeeded' | 'failed'): Promise<void> {
    await waitFor(
      async () => {
        const job = (await (await fetch(`${apiUrl}/jobs/${jobId}`)).json()) as { status: string };
        if (job.status === (status === 'succeeded' ? 'failed' : 'succeeded')) throw new Error(`job ${jobId} ${job.status}`);
        return job.status === status;
      },
      30_000,
      `job ${jobId} ${status}`,
      100,
    );
  }

  /** All spans of the trace whose worker job span carries this job id, once its store/fail has been exported. */
  async function traceOfJob(jobId: string, settled: (trace: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
    let trace: ReceivedSpan[] = [];
    await receiver.waitForSpans(
      (spans) => {
        const jobSpan = spans.find((s) => s.name === 'generate process' && s.attributes['opad.job.id'] === jobId);
        trace = jobSpan ? spans.filter((s) => s.traceId === jobSpan.traceId) : [];
        return trace.length > 0 && settled(trace);
      },
      15_000,
      `the trace of job ${jobId}`,
    );
    return trace;
  }

  const scope = (s: ReceivedSpan) => s.scope.replace('@opentelemetry/instrumentation-', '');
  const childrenOf = (trace: ReceivedSpan[], parent: ReceivedSpan) => trace.filter((s) => s.parentSpanId === parent.spanId);
  const allAttributeText = (spans: ReceivedSpan[]) => JSON.stringify(spans.map((s) => [s.name, s.attributes, s.events, s.status.message]));

  it('one Generate from the web form is one trace across opad-web, opad-api and opad-worker', async () => {
    const jobId = await generateThroughWeb();
    await waitForJob(jobId, 'succeeded');
    const trace = await traceOfJob(jobId, (t) => t.some((s) => s.serviceName === 'opad-web' && s.kind === SPAN_KIND.SERVER) && t.some((s) => s.name === 'store'));

    // for docs/observability.md: the waterfall of a real trace
    mkdirSync(resolve(import.meta.dirname, 'artifacts'), { recursive: true });
    writeFileSync(resolve(import.meta.dirname, 'artifacts/trace-spans.json'), JSON.stringify(trace, null, 2));

    expect(new Set(trace.map((s) => s.serviceName))).toEqual(new Set(['opad-web', 'opad-api', 'opad-worker']));
    // one root: the web's inbound request
    const roots = trace.filter((s) => s.parentSpanId === '' || !trace.some((p) => p.spanId === s.parentSpanId));
    expect(roots.map((s) => `${s.serviceName} ${s.name}`)).toEqual([expect.stringMatching(/^opad-web POST/)]);

    // web: the Remix action, and its fetch to the api parents the api's server span
    const action = trace.find((s) => s.name === 'action routes/articles._index')!;
    expect(action.serviceName).toBe('opad-web');
    const apiGenerate = trace.find((s) => s.serviceName === 'opad-api' && s.kind === SPAN_KIND.SERVER && s.name === 'POST /articles/:id/generate')!;
    expect(apiGenerate).toBeDefined();
    const webFetch = trace.find((s) => s.spanId === apiGenerate.parentSpanId)!;
    expect(webFetch.serviceName).toBe('opad-web');
    expect(webFetch.kind).toBe(SPAN_KIND.CLIENT);

    // the queue hop: the worker's CONSUMER span is a child of (and linked to) an api span of the generate request
    const consumer = trace.find((s) => s.name === 'generate process')!;
    expect(consumer.serviceName).toBe('opad-worker');
    expect(consumer.kind).toBe(SPAN_KIND.CONSUMER);
    const producerSide = trace.find((s) => s.spanId === consumer.parentSpanId)!;
    expect(producerSide.serviceName).toBe('opad-api');
    expect(consumer.links.map((l) => l.spanId)).toContain(producerSide.spanId);

    // pipeline stages: children of the job span, in order
    const stages = childrenOf(trace, consumer).filter((s) => s.attributes['opad.stage'] !== undefined).sort((a, b) => a.startMs - b.startMs);
    expect(stages.map((s) => s.name)).toEqual(['source', 'select', 'adapt', 'review', 'gloss', 'store']);
    expect(stages.every((s) => s.status.code !== STATUS_CODE.ERROR)).toBe(true);

    // pg, redis, s3 and http spans
    const byScope = (name: string, service: string) => trace.filter((s) => scope(s) === name && s.serviceName === service);
    expect(byScope('pg', 'opad-api').length).toBeGreaterThan(0);
    expect(byScope('pg', 'opad-worker').length).toBeGreaterThan(0);
    // the api's enqueue: one BullMQ PRODUCER span per group of requests, linked to this request
    // (its per-command ioredis spans are suppressed); the worker's Redis commands are traced as usual
    const publish = trace.find((s) => s.serviceName === 'opad-api' && s.name === 'generate publish')!;
    expect(publish.kind).toBe(SPAN_KIND.PRODUCER);
    expect(publish.links.map((l) => l.spanId)).toContain(apiGenerate.spanId);
    expect(byScope('ioredis', 'opad-worker').length).toBeGreaterThan(0);
    const s3Puts = byScope('aws-sdk', 'opad-worker');
    expect(s3Puts.map((s) => s.attributes['rpc.method'])).toEqual(expect.arrayContaining(['PutObject']));
    const store = stages.find((s) => s.name === 'store')!;
    expect(s3Puts.some((s) => s.parentSpanId === store.spanId)).toBe(true);
    // inbound requests: server spans of our own (core/src/telemetry/http-server-spans.ts) in every service
    expect(byScope('opad.http.server', 'opad-api').map((s) => s.kind)).toContain(SPAN_KIND.SERVER);
    expect(byScope('opad.http.server', 'opad-web').map((s) => s.kind)).toContain(SPAN_KIND.SERVER);
    expect(apiGenerate.attributes).toMatchObject({ 'http.route': '/articles/:id/generate', 'http.request.method': 'POST', 'http.response.status_code': 202 });
    // the web's calls to the api: Remix's fetch polyfill goes through node:http, the global fetch through undici
    expect(trace.filter((s) => s.serviceName === 'opad-web' && s.kind === SPAN_KIND.CLIENT && ['http', 'undici'].includes(scope(s))).length).toBe(2);

    // nothing of the submitted text in any attribute, event or status, in any span received
    expect(allAttributeText(receiver.spans)).not.toContain(MARKER);

    // the api answers with the trace id of the request
    const res = await fetch(`${apiUrl}/jobs/${jobId}`);
    expect(res.headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    // and so does the web, for the page a user would report
    expect((await fetch(`${webUrl}/`)).headers.get('x-trace-id')).toMatch(/^[0-9a-f]{32}$/);
  });

  it('LLM calls are GenAI spans under their stage; a failed call puts the error on the failing stage', async () => {
    await running.find((_, i) => i === 1)!.stop();
    running.splice(1, 1, await startWorker({ GENERATOR: 'openai', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: llm.baseURL, OPENAI_MODEL: 'gpt-test', OPENAI_MAX_RETRIES: '0' }));

    const okJob = await generateThroughApi();
    await waitForJob(okJob, 'succeeded');
    const ok = await traceOfJob(okJob, (t) => t.some((s) => s.name === 'store'));
    const chats = ok.filter((s) => s.name === 'chat gpt-test');
    expect(chats).toHaveLength(3);
    const stageOf = (s: ReceivedSpan) => ok.find((p) => p.spanId === s.parentSpanId)?.name;
    expect(chats.map(stageOf)).toEqual(['adapt', 'review', 'gloss']);
    for (const chat of chats) {
      expect(chat.kind).toBe(SPAN_KIND.CLIENT);
      expect(chat.attributes).toMatchObject({
        'gen_ai.system': 'openai',
        'gen_ai.request.model': 'gpt-test',
        'gen_ai.usage.input_tokens': 120,
        'gen_ai.usage.output_tokens': 80,
        'gen_ai.response.finish_reasons': ['stop'],
      });
      // the SDK's HTTP call to the endpoint nests under the LLM span
      expect(ok.some((s) => s.parentSpanId === chat.spanId && scope(s) === 'undici')).toBe(true);
    }
    // the prompt carries the source text; no span does
    expect(llm.requests.some((r) => JSON.stringify(r.body).includes(MARKER))).toBe(true);
    expect(allAttributeText(receiver.spans)).not.toContain(MARKER);

    llm.script = (r) => (r.schema === 'adaptation' ? { kind: 'error', status: 400, message: 'bad request from the test' } : { kind: 'answer' });
    const badJob = await generateThroughApi();
    await waitForJob(badJob, 'failed');
    const bad = await traceOfJob(badJob, (t) => t.some((s) => s.name === 'generate process'));
    const adapt = bad.find((s) => s.name === 'adapt')!;
    expect(adapt.status.code).toBe(STATUS_CODE.ERROR);
    expect(adapt.attributes['opad.error.code']).toBe('llm_rejected');
    expect(adapt.events.some((e) => e.name === 'exception')).toBe(true);
    for (const name of ['source', 'select']) expect(bad.find((s) => s.name === name)!.status.code, name).not.toBe(STATUS_CODE.ERROR);
    expect(bad.find((s) => s.name === 'generate process')!.status.code).toBe(STATUS_CODE.ERROR);
    expect(bad.find((s) => s.name === 'chat gpt-test' && s.parentSpanId === adapt.spanId)!.status.code).toBe(STATUS_CODE.ERROR);
    expect(bad.some((s) => s.name === 'review')).toBe(false);
    llm.script = () => ({ kind: 'answer' });
  });

  it('with OTEL_SDK_DISABLED=true nothing is exported and a generation still works', async () => {
    await stopAll();
    await new Promise((r) => setTimeout(r, 300));
    const before = receiver.requests();
    running.push(await startApi({ OTEL_SDK_DISABLED: 'true' }), await startWorker({ OTEL_SDK_DISABLED: 'true' }), await startWeb({ OTEL_SDK_DISABLED: 'true' }));
    const jobId = await generateThroughWeb();
    await waitForJob(jobId, 'succeeded');
    expect((await fetch(`${apiUrl}/jobs/${jobId}`)).headers.get('x-trace-id')).toBeNull();
    await new Promise((r) => setTimeout(r, 600)); // longer than the batch delay
    expect(receiver.requests()).toBe(before);
  });
});
