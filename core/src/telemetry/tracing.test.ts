import { context, propagation, SpanKind, SpanStatusCode, trace, type SpanContext } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, setTraceIdsProvider } from '../logger.ts';
import { llmResultFromCompletion, withLlmSpan } from './llm.ts';
import { createStageSpans, setContextAttacher } from './stages.ts';
import {
  activeSpanContext,
  injectTraceContext,
  traceIdsForLog,
  withConsumerSpan,
  withExtractedContext,
  withBatchPublishSpan,
  withSpan,
} from './tracing.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  setContextAttacher((ctx) => void contextManager.attach(ctx));
});
afterEach(() => {
  exporter.reset();
  delete process.env.OPAD_OTEL_CAPTURE_CONTENT;
});
afterAll(async () => {
  setContextAttacher(undefined);
  await provider.shutdown();
  trace.disable();
  propagation.disable();
  context.disable();
});

const spanNamed = (name: string) => {
  const span = exporter.getFinishedSpans().find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
  return span;
};

describe('withSpan', () => {
  it('makes nested spans parent and child and returns the value', async () => {
    const value = await withSpan('outer', { 'opad.article.id': 'a1' }, () => withSpan('inner', {}, async () => 42));
    expect(value).toBe(42);
    const outer = spanNamed('outer');
    const inner = spanNamed('inner');
    expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
    expect(outer.attributes['opad.article.id']).toBe('a1');
  });

  it('records the exception and the error status, with the code of a typed error, and rethrows', async () => {
    class StageError extends Error {
      readonly code = 'SOURCE_FETCH_FAILED';
    }
    await expect(withSpan('failing', {}, () => Promise.reject(new StageError('refused')))).rejects.toThrow('refused');
    const span = spanNamed('failing');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'refused' });
    expect(span.attributes['opad.error.code']).toBe('SOURCE_FETCH_FAILED');
    expect(span.attributes['error.type']).toBe('SOURCE_FETCH_FAILED');
    expect(span.events.map((e) => e.name)).toContain('exception');
    expect(span.ended).toBe(true);
  });

  it('handles synchronous throws too', async () => {
    await expect(
      withSpan('sync', {}, () => {
        throw new TypeError('bad');
      }),
    ).rejects.toThrow('bad');
    expect(spanNamed('sync').attributes['error.type']).toBe('TypeError');
  });
});

describe('propagation through the queue', () => {
  it('injects a W3C carrier and continues the trace from it elsewhere', async () => {
    let carrier: Record<string, string> = {};
    await withSpan('request', {}, async () => {
      carrier = injectTraceContext();
    });
    expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const request = spanNamed('request');
    await withExtractedContext(carrier, () => withSpan('later', {}, async () => undefined));
    const later = spanNamed('later');
    expect(later.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(later.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
  });

  it('publishes a batch under one producer span linked to each request, with the commands inside untraced, and parents each consumer to its request', async () => {
    const jobs: Array<{ trace: Record<string, string>; request: SpanContext | undefined }> = [];
    for (const name of ['request a', 'request b']) await withSpan(name, {}, async () => void jobs.push({ trace: injectTraceContext(), request: activeSpanContext() }));
    await withBatchPublishSpan('generate', jobs.map((j) => j.request), () => withSpan('evalsha', {}, async () => undefined));
    // the worker: no active context of its own
    await withConsumerSpan('generate', jobs[1]!.trace, { 'opad.job.id': 'job-b' }, () => withSpan('adapt', {}, async () => undefined));

    const [a, b] = [spanNamed('request a'), spanNamed('request b')];
    const producer = spanNamed('generate publish');
    expect(producer.kind).toBe(SpanKind.PRODUCER);
    expect(producer.attributes['messaging.batch.message_count']).toBe(2);
    expect(producer.parentSpanContext?.spanId).toBe(a.spanContext().spanId);
    expect(producer.links.map((l) => l.context.spanId)).toEqual([a.spanContext().spanId, b.spanContext().spanId]);
    expect(exporter.getFinishedSpans().map((s) => s.name)).not.toContain('evalsha');

    const consumer = spanNamed('generate process');
    expect(consumer.kind).toBe(SpanKind.CONSUMER);
    expect(consumer.spanContext().traceId).toBe(b.spanContext().traceId);
    expect(consumer.parentSpanContext?.spanId).toBe(b.spanContext().spanId);
    expect(consumer.links[0]?.context.spanId).toBe(b.spanContext().spanId);
    expect(spanNamed('adapt').parentSpanContext?.spanId).toBe(consumer.spanContext().spanId);
  });

  it('starts a new trace from an empty or malformed carrier', async () => {
    await withConsumerSpan('generate', {}, {}, async () => undefined);
    await withConsumerSpan('generate', { traceparent: 'garbage' }, {}, async () => undefined);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(2);
    for (const s of spans) {
      expect(s.parentSpanContext).toBeUndefined();
      expect(s.links).toEqual([]);
    }
  });
});

describe('trace ids for logs', () => {
  it('gives the active ids, and nothing outside a span', async () => {
    expect(traceIdsForLog()).toEqual({});
    await withSpan('logged', {}, async (span) => {
      expect(traceIdsForLog()).toEqual({ trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, trace_flags: '01' });
    });
  });

  it('puts them on pino log lines through the logger mixin', async () => {
    const lines: string[] = [];
    setTraceIdsProvider(traceIdsForLog);
    try {
      // streamWrite sees the serialized line; returning '' keeps the test output clean
      const log = createLogger('test', 'info', { hooks: { streamWrite: (line) => (lines.push(line), '') } });
      await withSpan('with-log', {}, async () => log.info('hello'));
      log.info('outside');
    } finally {
      setTraceIdsProvider(() => ({}));
    }
    const span = spanNamed('with-log').spanContext();
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'hello', trace_id: span.traceId, span_id: span.spanId });
    expect(JSON.parse(lines[1]!)).not.toHaveProperty('trace_id');
  });
});

describe('withLlmSpan', () => {
  const completion = {
    id: 'chatcmpl-1',
    model: 'gpt-4o-mini-2024-07-18',
    usage: { prompt_tokens: 120, completion_tokens: 80, total_tokens: 200 },
    choices: [{ finish_reason: 'stop', message: { content: 'Der Text, vereinfacht.' } }],
  };
  const messages = [{ role: 'user', content: 'Rewrite this secret article for A2' }];

  it('records model, usage and finish reasons, but no prompt or completion text by default', async () => {
    const result = await withLlmSpan({ model: 'gpt-4o-mini', stage: 'adapt', messages, temperature: 0.2 }, async () => completion);
    expect(result).toBe(completion);
    const span = spanNamed('chat gpt-4o-mini');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.attributes).toMatchObject({
      'gen_ai.system': 'openai',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.temperature': 0.2,
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.response.id': 'chatcmpl-1',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.response.finish_reasons': ['stop'],
      'opad.stage': 'adapt',
    });
    const text = JSON.stringify(span.attributes) + JSON.stringify(span.events);
    expect(text).not.toContain('secret article');
    expect(text).not.toContain('vereinfacht');
  });

  it('records the text only with OPAD_OTEL_CAPTURE_CONTENT=true', async () => {
    process.env.OPAD_OTEL_CAPTURE_CONTENT = 'true';
    await withLlmSpan({ model: 'gpt-4o-mini', messages }, async () => completion);
    const span = spanNamed('chat gpt-4o-mini');
    expect(String(span.attributes['gen_ai.input.messages'])).toContain('secret article');
    expect(String(span.attributes['gen_ai.output.messages'])).toContain('vereinfacht');
  });

  it('records a failed call as an error', async () => {
    const apiError = Object.assign(new Error('429 Rate limit reached'), { status: 429, code: 'rate_limit_exceeded' });
    await expect(withLlmSpan({ model: 'gpt-4o-mini' }, () => Promise.reject(apiError))).rejects.toThrow('429');
    const span = spanNamed('chat gpt-4o-mini');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['error.type']).toBe('rate_limit_exceeded');
  });

  it('reads Responses-API usage as well', () => {
    expect(llmResultFromCompletion({ id: 'resp_1', model: 'm', status: 'completed', usage: { input_tokens: 3, output_tokens: 4 } })).toMatchObject({
      inputTokens: 3,
      outputTokens: 4,
      finishReasons: ['completed'],
    });
    expect(llmResultFromCompletion(undefined)).toEqual({});
  });
});

describe('createStageSpans', () => {
  // The worker's shape: a generator reports stages through a callback and awaits in between.
  async function generate(stage: (name: string) => Promise<void>, failAt?: string) {
    for (const name of ['select', 'adapt', 'review']) {
      await stage(name);
      await withSpan(`work in ${name}`, {}, async () => {
        await new Promise((r) => setTimeout(r, 1));
        if (name === failAt) throw Object.assign(new Error(`${name} broke`), { code: 'llm_malformed' });
      });
    }
  }

  it('makes sequential stage spans under the job span, with the work of each stage nested in it', async () => {
    await withSpan('generate process', {}, async () => {
      const stages = createStageSpans();
      try {
        await generate(async (name) => stages.enter(name));
      } finally {
        stages.end();
      }
    });
    const job = spanNamed('generate process');
    for (const name of ['select', 'adapt', 'review']) {
      const stage = spanNamed(name);
      expect(stage.parentSpanContext?.spanId, name).toBe(job.spanContext().spanId);
      expect(stage.attributes['opad.stage']).toBe(name);
      expect(spanNamed(`work in ${name}`).parentSpanContext?.spanId).toBe(stage.spanContext().spanId);
    }
  });

  it('records the error on the stage that failed, not on the others', async () => {
    await expect(
      withSpan('generate process', {}, async () => {
        const stages = createStageSpans();
        try {
          await generate(async (name) => stages.enter(name), 'adapt');
        } catch (error) {
          stages.fail(error);
          throw error;
        }
      }),
    ).rejects.toThrow('adapt broke');
    expect(spanNamed('adapt').status.code).toBe(SpanStatusCode.ERROR);
    expect(spanNamed('adapt').attributes['opad.error.code']).toBe('llm_malformed');
    expect(spanNamed('select').status.code).toBe(SpanStatusCode.UNSET);
    expect(exporter.getFinishedSpans().some((s) => s.name === 'review')).toBe(false);
  });

  it('keeps concurrent jobs apart', async () => {
    const run = (id: string) =>
      withSpan(`job ${id}`, {}, async () => {
        const stages = createStageSpans();
        await generate(async (name) => stages.enter(`${name}-${id}`));
        stages.end();
      });
    await Promise.all([run('a'), run('b')]);
    for (const id of ['a', 'b']) {
      expect(spanNamed(`adapt-${id}`).parentSpanContext?.spanId).toBe(spanNamed(`job ${id}`).spanContext().spanId);
    }
  });
});
