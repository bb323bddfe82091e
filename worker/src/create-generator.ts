import type { Usage } from '@opad/core/http-contract';
import type { Generator } from './generators/generator.ts';
import { OfflineGenerator } from './generators/offline/offline-generator.ts';
import { OpenAIGenerator } from './generators/openai/openai-generator.ts';
import { resolveGeneratorName, type WorkerConfig } from './config.ts';

export function createGenerator(config: WorkerConfig, onUsage?: (usage: Usage) => void): Generator {
  if (resolveGeneratorName(config) === 'offline') return new OfflineGenerator();
  if (!config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) throw new Error('GENERATOR=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local endpoint)');
  return new OpenAIGenerator({
    // Local OpenAI-compatible servers (Ollama, vLLM) accept any key.
    apiKey: config.OPENAI_API_KEY ?? 'unused',
    baseURL: config.OPENAI_BASE_URL,
    model: config.OPENAI_MODEL,
    timeoutMs: config.OPENAI_TIMEOUT_MS,
    maxRetries: config.OPENAI_MAX_RETRIES,
    onUsage,
  });
}
