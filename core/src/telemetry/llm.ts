import { SpanKind, type Attributes, type Span } from '@opentelemetry/api';
import { isTrue } from './settings.ts';
import { getTracer, withSpan } from './tracing.ts';

/**
 * LLM calls as CLIENT spans with the OpenTelemetry GenAI semantic-convention attributes: model,
 * token usage, finish reasons. Prompt and completion text are recorded only when
 * `OPAD_OTEL_CAPTURE_CONTENT=true` (they may hold copyrighted or personal text).
 */

export interface LlmRequest {
  /** `gen_ai.system` / `gen_ai.provider.name`: `openai` for any OpenAI-compatible endpoint. */
  readonly system?: string;
  /** `gen_ai.operation.name`: `chat` (default), `text_completion`, `embeddings`. */
  readonly operation?: string;
  readonly model: string;
  readonly temperature?: number;
  readonly maxTokens?: number;
  /** The pipeline stage that made the call (`adapt`, `review`, `gloss`…) → `opad.stage`. */
  readonly stage?: string;
  /** Recorded only with OPAD_OTEL_CAPTURE_CONTENT=true. */
  readonly messages?: unknown;
  /** `server.address` of the endpoint (host only: never a URL with credentials). */
  readonly serverAddress?: string;
}

export interface LlmResult {
  readonly responseModel?: string;
  readonly responseId?: string;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly finishReasons?: readonly string[];
  /** Recorded only with OPAD_OTEL_CAPTURE_CONTENT=true. */
  readonly completion?: unknown;
}

/** The shape of an OpenAI chat completion (or Responses API result), structurally: no SDK import. */
interface CompletionLike {
  id?: string;
  model?: string;
  status?: string;
  usage?: { prompt_tokens?: number; completion_tokens?: number; input_tokens?: number; output_tokens?: number } | null;
  choices?: Array<{ finish_reason?: string | null; message?: { content?: unknown } }>;
  output_text?: string;
}

/** Reads model, id, usage and finish reasons from a chat completion / response object. */
export function llmResultFromCompletion(value: unknown): LlmResult {
  if (!value || typeof value !== 'object') return {};
  const c = value as CompletionLike;
  const finishReasons = c.choices?.map((ch) => ch.finish_reason).filter((r): r is string => typeof r === 'string');
  return {
    responseModel: c.model,
    responseId: c.id,
    inputTokens: c.usage?.prompt_tokens ?? c.usage?.input_tokens,
    outputTokens: c.usage?.completion_tokens ?? c.usage?.output_tokens,
    finishReasons: finishReasons && finishReasons.length > 0 ? finishReasons : c.status ? [c.status] : undefined,
    completion: c.choices ? c.choices.map((ch) => ch.message?.content) : c.output_text,
  };
}

export function captureContentEnabled(): boolean {
  return isTrue(process.env.OPAD_OTEL_CAPTURE_CONTENT);
}

const asJson = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

export function setLlmResult(span: Span, result: LlmResult): void {
  const a: Attributes = {};
  if (result.responseModel) a['gen_ai.response.model'] = result.responseModel;
  if (result.responseId) a['gen_ai.response.id'] = result.responseId;
  if (typeof result.inputTokens === 'number') a['gen_ai.usage.input_tokens'] = result.inputTokens;
  if (typeof result.outputTokens === 'number') a['gen_ai.usage.output_tokens'] = result.outputTokens;
  if (result.finishReasons?.length) a['gen_ai.response.finish_reasons'] = [...result.finishReasons];
  if (captureContentEnabled() && result.completion !== undefined) a['gen_ai.output.messages'] = asJson(result.completion);
  span.setAttributes(a);
}

/**
 * Runs one LLM call inside a `chat <model>` CLIENT span. `describe` turns the call's result into
 * usage figures; by default the result is read as an OpenAI completion (`llmResultFromCompletion`).
 * Errors (an API 4xx/5xx, a timeout, a schema mismatch) are recorded on the span and rethrown.
 */
export function withLlmSpan<T>(request: LlmRequest, fn: (span: Span) => Promise<T>, describe: (result: T) => LlmResult = llmResultFromCompletion): Promise<T> {
  const system = request.system ?? 'openai';
  const operation = request.operation ?? 'chat';
  const attributes: Attributes = {
    'gen_ai.operation.name': operation,
    'gen_ai.system': system,
    'gen_ai.provider.name': system,
    'gen_ai.request.model': request.model,
  };
  if (typeof request.temperature === 'number') attributes['gen_ai.request.temperature'] = request.temperature;
  if (typeof request.maxTokens === 'number') attributes['gen_ai.request.max_tokens'] = request.maxTokens;
  if (request.stage) attributes['opad.stage'] = request.stage;
  if (request.serverAddress) attributes['server.address'] = request.serverAddress;
  if (captureContentEnabled() && request.messages !== undefined) attributes['gen_ai.input.messages'] = asJson(request.messages);
  return withSpan(
    `${operation} ${request.model}`,
    attributes,
    async (span) => {
      const result = await fn(span);
      setLlmResult(span, describe(result));
      return result;
    },
    { kind: SpanKind.CLIENT, tracer: getTracer('llm') },
  );
}
