import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import { GenerationError } from '@opad/core/errors';

export interface ExtractedArticle {
  title: string | null;
  siteName: string | null;
  byline: string | null;
  excerpt: string | null;
  /** Plain text, paragraphs separated by a blank line. */
  text: string;
}

const BLOCKS = 'p, h2, h3, h4, li, blockquote, pre';
const clean = (s: string | null | undefined): string => (s ?? '').replace(/\s+/g, ' ').trim();
const orNull = (s: string | null | undefined): string | null => clean(s) || null;

/** Paragraph texts of an HTML fragment: block elements that contain no other block element. */
function paragraphs(html: string): string[] {
  const { document } = parseHTML(`<!doctype html><html><body>${html}</body></html>`);
  const out: string[] = [];
  for (const el of document.querySelectorAll(BLOCKS)) {
    if (el.querySelector(BLOCKS)) continue;
    const text = clean(el.textContent);
    if (text) out.push(text);
  }
  if (out.length === 0) {
    const text = clean(document.body?.textContent);
    if (text) out.push(text);
  }
  return out;
}

/**
 * The main text of a web page with Mozilla's Readability over a linkedom DOM (light and
 * dependency-free compared with jsdom; Readability only needs the DOM Core API it provides).
 */
export function extractArticle(html: string, url: string): ExtractedArticle {
  const { document } = parseHTML(html);
  const pageTitle = orNull(document.querySelector('title')?.textContent);
  let article: ReturnType<Readability['parse']> = null;
  try {
    article = new Readability(document as never, { charThreshold: 200 }).parse();
  } catch (error) {
    throw new GenerationError('source_unreadable', `The page at ${url} could not be parsed.`, { cause: error });
  }
  if (!article?.content) throw new GenerationError('source_unreadable', `No article text was found at ${url}.`);
  const text = paragraphs(article.content).join('\n\n');
  if (!text) throw new GenerationError('source_unreadable', `No article text was found at ${url}.`);
  return {
    title: orNull(article.title) ?? pageTitle,
    siteName: orNull(article.siteName),
    byline: orNull(article.byline),
    excerpt: orNull(article.excerpt),
    text,
  };
}

export { normaliseText } from './normalise-text.ts';
