import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { z } from 'zod';
import { GenerationError } from '@opad/core/errors';
import { withLlmSpan } from '@opad/core/telemetry/llm';
import type { Usage } from '@opad/core/http-contract';
import { countWords, type GenerationContext, type GenerationRequest, type GenerationResult, type Generator } from '../generator.ts';
import * as prompts from './prompts.ts';

export interface OpenAIGeneratorOptions {
  apiKey: string;
  baseURL?: string | undefined;
  model: string;
  timeoutMs: number;
  /** The SDK's own retries (with backoff) for 429, 5xx, timeouts and connection errors. */
  maxRetries: number;
  /** Characters of each source sent to the model. */
  maxSourceChars?: number;
  /** Called with the token usage of every response (metrics). */
  onUsage?: (usage: Usage) => void;
}

/**
 * The LLM generator over any OpenAI-compatible endpoint: three round trips in the normal case —
 * (1) select + adapt, (2) review + fix, (3) gloss — each a structured output (JSON schema) checked
 * with zod. A malformed answer is asked again once; a second one fails the job (`llm_malformed`).
 */
export class OpenAIGenerator implements Generator {
  readonly name = 'openai' as const;
  readonly model: string;
  private readonly client: OpenAI;
  private readonly options: OpenAIGeneratorOptions;

  constructor(options: OpenAIGeneratorOptions) {
    this.options = options;
    this.model = options.model;
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, timeout: options.timeoutMs, maxRetries: options.maxRetries });
  }

  async generate(request: GenerationRequest, context: GenerationContext): Promise<GenerationResult> {
    const usage: Usage = { inputTokens: 0, outputTokens: 0 };
    const { language, level, targetWords } = request;
    const max = this.options.maxSourceChars ?? 24_000;
    const perSource = Math.floor(max / Math.max(1, request.candidates.length));
    const candidates = request.candidates.map((c) => ({ title: c.title, text: c.text.slice(0, perSource) }));

    await context.stage('select');
    await context.stage('adapt');
    const draft = await this.ask(
      'adaptation',
      prompts.adaptSchema,
      prompts.adaptAnswer,
      prompts.ADAPT_SYSTEM,
      prompts.adaptUser(language, level, targetWords, candidates),
      usage,
      context.signal,
    );
    const source = request.candidates[draft.sourceIndex] ?? (request.candidates[0] as NonNullable<(typeof request.candidates)[0]>);

    await context.stage('review');
    const reviewed = await this.ask(
      'review',
      prompts.reviewSchema,
      prompts.reviewAnswer,
      prompts.REVIEW_SYSTEM,
      prompts.reviewUser(language, level, targetWords, source.text.slice(0, max), draft.title, draft.body, countWords(draft.body)),
      usage,
      context.signal,
    );

    await context.stage('gloss');
    const glossed = await this.ask('vocabulary', prompts.glossSchema, prompts.glossAnswer, prompts.GLOSS_SYSTEM, prompts.glossUser(language, level, reviewed.body), usage, context.signal);

    const notes = [`Rewritten for level ${level} by ${this.model}, then reviewed for level, length and faithfulness to the source.`];
    if (reviewed.verdict === 'fixed' && reviewed.problems.length > 0) notes.push(`The review fixed: ${reviewed.problems.join('; ')}.`);
    return { title: reviewed.title, body: reviewed.body.trim(), source, vocabulary: glossed.vocabulary.slice(0, 20), usage, notes };
  }

  /** One structured round trip; a malformed answer is asked once more. */
  private async ask<T>(name: string, schema: object, check: z.ZodType<T>, system: string, user: string, usage: Usage, signal: AbortSignal): Promise<T> {
    let problem = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      const completion = await this.call(name, schema, system, user, signal);
      const u = { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 };
      usage.inputTokens += u.inputTokens;
      usage.outputTokens += u.outputTokens;
      this.options.onUsage?.(u);
      const message = completion.choices[0]?.message;
      if (message?.refusal) throw new GenerationError('llm_rejected', `The model refused the ${name}: ${message.refusal.slice(0, 300)}`);
      try {
        const parsed = check.safeParse(JSON.parse(message?.content ?? ''));
        if (parsed.success) return parsed.data;
        problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      } catch (error) {
        problem = `not JSON (${(error as Error).message})`;
      }
    }
    throw new GenerationError('llm_malformed', `The model's ${name} did not match the expected format twice: ${problem.slice(0, 300)}`, {
      retryable: false,
    });
  }

  private async call(name: string, schema: object, system: string, user: string, signal: AbortSignal) {
    try {
      const messages = [
        { role: 'system' as const, content: system },
        { role: 'user' as const, content: user },
      ];
      // A `chat <model>` span with GenAI attributes; the text only with OPAD_OTEL_CAPTURE_CONTENT=true.
      return await withLlmSpan({ model: this.model, messages }, () =>
        this.client.chat.completions.create(
          {
            model: this.model,
            messages,
            response_format: { type: 'json_schema', json_schema: { name, strict: true, schema: schema as Record<string, unknown> } },
          },
          { signal },
        ),
      );
    } catch (error) {
      if (error instanceof APIUserAbortError || signal.aborted) throw signal.reason ?? error;
      if (error instanceof APIConnectionError) {
        throw new GenerationError('llm_unavailable', `The language model did not answer (${error.message}).`, { retryable: true, cause: error });
      }
      if (error instanceof APIError && error.status !== undefined) {
        if (error.status === 429 || error.status >= 500) {
          throw new GenerationError('llm_unavailable', `The language model is unavailable (HTTP ${error.status}).`, { retryable: true, cause: error });
        }
        throw new GenerationError('llm_rejected', `The language model rejected the request (HTTP ${error.status}): ${error.message.slice(0, 300)}`, {
          retryable: false,
          cause: error,
        });
      }
      throw error;
    }
  }
}
