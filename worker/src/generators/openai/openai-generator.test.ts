import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerationError } from '@opad/core/errors';
import type { GenerationRequest } from '../generator.ts';
import { OpenAIGenerator } from './openai-generator.ts';
import { DEFAULT_USAGE, normal, startFakeOpenAIServer, type FakeOpenAIServer } from '../../testing/fake-openai-server.ts';

let fake: FakeOpenAIServer;
beforeAll(async () => {
  fake = await startFakeOpenAIServer();
});
afterAll(() => fake.close());

const generator = (over: { timeoutMs?: number; maxRetries?: number } = {}) =>
  new OpenAIGenerator({ apiKey: 'test-key', baseURL: fake.baseURL, model: 'fake-model', timeoutMs: over.timeoutMs ?? 2_000, maxRetries: over.maxRetries ?? 2 });
const request: GenerationRequest = {
  articleId: '00000000-0000-4000-8000-000000000001',
  jobId: '00000000-0000-4000-8000-000000000002',
  language: 'en',
  level: 'B1',
  targetWords: 150,
  candidates: [{ kind: 'text', url: null, title: 'Gardens', siteName: null, byline: null, text: 'The town put gardens on the river. '.repeat(30) }],
};
const ctx = () => {
  const stages: string[] = [];
  return { stages, ctx: { stage: async (s: string) => void stages.push(s), signal: new AbortController().signal } };
};
const run = async (script: FakeOpenAIServer['script'], options?: { timeoutMs?: number; maxRetries?: number }) => {
  fake.requests.length = 0;
  fake.script = script;
  return generator(options).generate(request, ctx().ctx);
};
const failure = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a failure'), (e: unknown) => e as GenerationError);

describe('openai generator', () => {
  it('makes three structured round trips and adds up their usage', async () => {
    fake.requests.length = 0;
    fake.script = normal;
    const { stages, ctx: c } = ctx();
    const result = await generator().generate(request, c);
    expect(fake.requests.map((r) => r.schema)).toEqual(['adaptation', 'review', 'vocabulary']);
    expect(fake.requests[0]?.body.model).toBe('fake-model');
    expect(stages).toEqual(['select', 'adapt', 'review', 'gloss']);
    expect(result.title).toBe('Gardens on the river');
    expect(result.body).toContain('Reviewed');
    expect(result.vocabulary).toHaveLength(1);
    expect(result.usage).toEqual({ inputTokens: 3 * DEFAULT_USAGE.prompt_tokens, outputTokens: 3 * DEFAULT_USAGE.completion_tokens });
  });

  it('retries 429 and 500 (the SDK, with backoff) and then succeeds', async () => {
    const result = await run((r) => (r.index === 0 ? { kind: 'error', status: 429 } : r.index === 1 ? { kind: 'error', status: 500 } : { kind: 'answer' }));
    expect(fake.requests).toHaveLength(5);
    expect(result.usage.inputTokens).toBe(3 * DEFAULT_USAGE.prompt_tokens);
  });

  it('a persistent 5xx is llm_unavailable and retryable (BullMQ retries the job)', async () => {
    const error = await failure(run(() => ({ kind: 'error', status: 503 }), { maxRetries: 1 }));
    expect(error).toMatchObject({ code: 'llm_unavailable', retryable: true });
    expect(fake.requests).toHaveLength(2);
  });

  it('a hang past the timeout is llm_unavailable and retryable', async () => {
    const started = Date.now();
    const error = await failure(run(() => ({ kind: 'hang' }), { timeoutMs: 300, maxRetries: 0 }));
    expect(error).toMatchObject({ code: 'llm_unavailable', retryable: true });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a 4xx other than 429 is llm_rejected and not retried', async () => {
    const error = await failure(run(() => ({ kind: 'error', status: 400, message: 'bad request' })));
    expect(error).toMatchObject({ code: 'llm_rejected', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it('asks again once after a malformed answer', async () => {
    const result = await run((r) => (r.index === 0 ? { kind: 'malformed' } : { kind: 'answer' }));
    expect(fake.requests.map((r) => r.schema)).toEqual(['adaptation', 'adaptation', 'review', 'vocabulary']);
    expect(result.usage.inputTokens).toBe(4 * DEFAULT_USAGE.prompt_tokens);
  });

  it('fails with llm_malformed after two malformed answers (JSON or schema)', async () => {
    const error = await failure(run((r) => (r.index === 0 ? { kind: 'malformed' } : { kind: 'answer', content: { title: 'no body' } })));
    expect(error).toMatchObject({ code: 'llm_malformed', retryable: false });
    expect(error.message).toMatch(/adaptation/);
    expect(fake.requests).toHaveLength(2);
  });

  it('stops when the job is aborted', async () => {
    fake.script = () => ({ kind: 'hang' });
    const controller = new AbortController();
    const promise = generator().generate(request, { stage: async () => undefined, signal: controller.signal });
    setTimeout(() => controller.abort('stop'), 100);
    await expect(promise).rejects.toBe('stop');
  });
});
