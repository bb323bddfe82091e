import { GenerationError } from '@opad/core/errors';
import type { Article } from '@opad/core/db/models';
import type { SourceDocument } from '../generators/generator.ts';
import { countWords } from '../generators/generator.ts';
import { normaliseText } from './normalise-text.ts';
import { safeFetch, type ResolveHost } from './safe-fetch.ts';
import { searchUnavailable, type SearchProvider } from './search-provider.ts';

export interface SourceOptions {
  timeoutMs: number;
  maxBytes: number;
  allowHosts: readonly string[];
  resolve?: ResolveHost | undefined;
  searchProvider?: SearchProvider | undefined;
}

/** Fewer words than this is not an article to adapt. */
export const MIN_SOURCE_WORDS = 25;
const MAX_CANDIDATES = 3;

export async function fetchDocument(url: string, options: SourceOptions, signal: AbortSignal): Promise<SourceDocument> {
  const page = await safeFetch(url, { ...options, signal });
  if (page.contentType.startsWith('text/plain')) {
    return { kind: 'url', url: page.url, title: null, siteName: new URL(page.url).hostname, byline: null, text: normaliseText(page.body) };
  }
  // Readability + linkedom load on the first web page (~17 MB the worker does not need otherwise).
  const { extractArticle } = await import('./extract-article.ts');
  const article = extractArticle(page.body, page.url);
  return { kind: 'url', url: page.url, title: article.title, siteName: article.siteName ?? new URL(page.url).hostname, byline: article.byline, text: article.text };
}

type ArticleSource = Pick<Article, 'sourceUrl' | 'sourceText' | 'sourceTitle' | 'topic' | 'language'>;

/**
 * The source stage: the article's pasted text, its URL (fetched safely, main text extracted), or
 * a topic (two or three search results, fetched the same way).
 */
export async function resolveSources(article: ArticleSource, options: SourceOptions, signal: AbortSignal): Promise<SourceDocument[]> {
  let candidates: SourceDocument[];
  if (article.sourceUrl) {
    candidates = [await fetchDocument(article.sourceUrl, options, signal)];
  } else if (article.sourceText) {
    candidates = [{ kind: 'text', url: null, title: article.sourceTitle ?? null, siteName: null, byline: null, text: normaliseText(article.sourceText) }];
  } else if (article.topic) {
    if (!options.searchProvider) throw searchUnavailable();
    const results = (await options.searchProvider.search(article.topic, article.language, signal)).slice(0, MAX_CANDIDATES);
    const fetched = await Promise.allSettled(results.map((r) => fetchDocument(r.url, options, signal)));
    candidates = fetched.flatMap((r, i) => (r.status === 'fulfilled' ? [{ ...r.value, kind: 'topic' as const, title: r.value.title ?? results[i]?.title ?? null }] : []));
    if (candidates.length === 0) {
      const first = fetched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (first?.reason instanceof GenerationError) throw first.reason;
      throw new GenerationError('source_unreadable', `No readable article was found for the topic “${article.topic}”.`);
    }
  } else {
    throw new GenerationError('source_unreadable', 'The article has no source: no URL, text or topic.');
  }
  candidates = candidates.filter((c) => countWords(c.text) >= MIN_SOURCE_WORDS);
  if (candidates.length === 0) throw new GenerationError('source_too_short', `The source has fewer than ${MIN_SOURCE_WORDS} words of text.`);
  return candidates;
}
