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
 * Elements a page may have. A DOM and Readability's passes over it cost about 1–2 KB of heap per
 * element: a 5 MB page of nothing but tiny tags (~580 000 elements) would take over 2 GB and
 * half a minute, so it is refused before parsing. Real article pages have a few thousand; a long
 * Wikipedia article has tens of thousands (40 000 realistic elements: ~60 MB heap, ~2 s).
 */
export const MAX_PAGE_ELEMENTS = 40_000;

// Never article text, and often most of a page's elements (inline SVG icons, JSON in scripts).
const NON_CONTENT = /<(script|style|svg|noscript|template)\b[\s\S]*?<\/\1\s*>/gi;
const START_TAG = /<[a-zA-Z]/g;

/**
 * The main text of a web page with Mozilla's Readability over a linkedom DOM (light and
 * dependency-free compared with jsdom; Readability only needs the DOM Core API it provides).
 */
export function extractArticle(rawHtml: string, url: string): ExtractedArticle {
  const html = rawHtml.replace(NON_CONTENT, '');
  let elements = 0;
  for (const _ of html.matchAll(START_TAG)) {
    if (++elements > MAX_PAGE_ELEMENTS) {
      throw new GenerationError('source_too_large', `The page at ${url} has more than ${MAX_PAGE_ELEMENTS.toLocaleString('en')} HTML elements; paste its text instead.`);
    }
  }
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
