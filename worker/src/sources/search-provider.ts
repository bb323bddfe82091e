import { GenerationError } from '@opad/core/errors';
import type { Language } from '@opad/core/domain';

export interface SearchResult {
  url: string;
  title: string | null;
}

/** Finds a few recent news articles about a topic (a news search API behind this interface). */
export interface SearchProvider {
  readonly name: string;
  search(topic: string, language: Language, signal: AbortSignal): Promise<SearchResult[]>;
}

export const searchUnavailable = () =>
  new GenerationError(
    'search_unavailable',
    'Topic search is not configured on this server: create the article from a URL or pasted text instead.',
    { retryable: false },
  );
