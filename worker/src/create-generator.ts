import type { Usage } from '@opad/core/http-contract';
import type { Generator } from './generators/generator.ts';
import { OfflineGenerator } from './generators/offline/offline-generator.ts';
import { resolveGeneratorName, type WorkerConfig } from './config.ts';

/** The openai SDK is loaded only when it is the generator (it costs ~10 MB of memory). */
export async function createGenerator(config: WorkerConfig, onUsage?: (usage: Usage) => void): Promise<Generator> {
  if (resolveGeneratorName(config) === 'offline') return new OfflineGenerator();
  if (!config.OPENAI_API_KEY && !config.OPENAI_BASE_URL) throw new Error('GENERATOR=openai needs OPENAI_API_KEY (or OPENAI_BASE_URL for a local endpoint)');
  const { OpenAIGenerator } = await import('./generators/openai/openai-generator.ts');
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
