import { describe, expect, it } from 'vitest';
import { GenerationError } from '@opad/core/errors';
import { extractArticle, MAX_PAGE_ELEMENTS } from './extract-article.ts';

const paragraph = (i: number) =>
  `<p>Paragraph ${i}: the city council met on Tuesday to discuss the budget for schools, roads and the new library, which opens next spring.</p>`;
const page = (body: string) => `<!doctype html><html><head><title>Council budget</title></head><body><article><h1>Council budget</h1>${body}</article></body></html>`;

describe('extractArticle', () => {
  it('refuses a page with too many elements before building a DOM for it, with a clear error', () => {
    const hostile = page(`<p>${'<b>a</b> '.repeat(MAX_PAGE_ELEMENTS + 10)}</p>`);
    const started = performance.now();
    let caught: unknown;
    try {
      extractArticle(hostile, 'https://news.example/huge');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GenerationError);
    expect(caught).toMatchObject({ code: 'source_too_large' });
    expect((caught as Error).message).toMatch(/more than 40,000 HTML elements; paste its text instead/);
    // Refused by counting, not by parsing: a DOM of this page takes seconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('does not count scripts, styles and inline SVG against the limit, and extracts the article', () => {
    const icons = `<svg viewBox="0 0 10 10">${'<path d="M0 0h10"/>'.repeat(MAX_PAGE_ELEMENTS)}</svg>`;
    const script = `<script>window.__DATA__ = "${'<div class=x></div>'.repeat(1000)}";</script>`;
    const article = extractArticle(page(icons + script + Array.from({ length: 12 }, (_, i) => paragraph(i)).join('')), 'https://news.example/budget');
    expect(article.title).toBe('Council budget');
    expect(article.text.split('\n\n')).toHaveLength(12);
    expect(article.text).toContain('Paragraph 11: the city council met on Tuesday');
    expect(article.text).not.toContain('__DATA__');
  });
});
