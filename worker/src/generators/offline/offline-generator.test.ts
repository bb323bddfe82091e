import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractArticle } from '../../sources/extract-article.ts';
import { countWords, type GenerationRequest, type SourceDocument } from '../generator.ts';
import { OfflineGenerator } from './offline-generator.ts';
import { splitSentences } from './sentences.ts';

const page = readFileSync(new URL('../../testing/fixtures/news-article.html', import.meta.url), 'utf8');
const article = extractArticle(page, 'https://courier.example/science/floating-gardens');
const source: SourceDocument = { kind: 'url', url: 'https://courier.example/science/floating-gardens', title: article.title, siteName: article.siteName, byline: article.byline, text: article.text };
const context = () => {
  const stages: string[] = [];
  return { stages, ctx: { stage: async (s: string) => void stages.push(s), signal: new AbortController().signal } };
};
const request = (over: Partial<GenerationRequest>): GenerationRequest => ({
  articleId: '00000000-0000-4000-8000-000000000001',
  jobId: '00000000-0000-4000-8000-000000000002',
  language: 'en',
  level: 'B1',
  targetWords: 150,
  candidates: [source],
  ...over,
});

describe('Readability on a real-looking news page', () => {
  it('keeps the story and drops navigation, ads and footer', () => {
    expect(article.title).toBe('River town bets on floating gardens to clean its water');
    expect(article.siteName).toBe('The Riverside Courier');
    expect(article.byline).toContain('Maria Jensen');
    expect(countWords(article.text)).toBeGreaterThan(850);
    expect(article.text).not.toMatch(/Subscribe|Advertisement|Holiday cottages|Privacy policy|Most read/);
  });
});

describe('offline generator', () => {
  it.each([
    [150, 'B1'],
    [300, 'A2'],
    [80, 'C1'],
    [500, 'B2'],
  ] as const)('gives %i words (±15%%) at %s, with glosses and every stage', async (targetWords, level) => {
    const { stages, ctx } = context();
    const result = await new OfflineGenerator().generate(request({ targetWords, level }), ctx);
    const words = countWords(result.body);
    expect(words).toBeGreaterThanOrEqual(targetWords * 0.85);
    expect(words).toBeLessThanOrEqual(targetWords * 1.15);
    expect(stages).toEqual(['select', 'adapt', 'review', 'gloss']);
    expect(result.title).toBe(article.title);
    expect(result.vocabulary.length).toBeGreaterThan(0);
    for (const g of result.vocabulary) {
      expect(result.body.toLowerCase()).toContain(g.word);
      expect(g.definition.length).toBeGreaterThan(3);
    }
    expect(result.notes.join(' ')).toMatch(/offline/i);
    // Whole sentences in source order, quotes never left open.
    for (const paragraph of result.body.split('\n\n')) {
      expect(article.text).toContain(paragraph.split(/(?<=[.!?"”])\s/)[0]);
      expect((paragraph.match(/"/g) ?? []).length % 2).toBe(0);
    }
  });

  it('is deterministic', async () => {
    const a = await new OfflineGenerator().generate(request({}), context().ctx);
    const b = await new OfflineGenerator().generate(request({}), context().ctx);
    expect(b).toEqual(a);
  });

  it('glosses fewer words for a higher level', async () => {
    const low = await new OfflineGenerator().generate(request({ level: 'A2', targetWords: 400 }), context().ctx);
    const high = await new OfflineGenerator().generate(request({ level: 'C2', targetWords: 400 }), context().ctx);
    expect(high.vocabulary.length).toBeLessThanOrEqual(low.vocabulary.length);
  });

  it('only selects for other languages and says so plainly', async () => {
    const result = await new OfflineGenerator().generate(request({ language: 'de', targetWords: 120 }), context().ctx);
    expect(result.vocabulary).toEqual([]);
    expect(result.notes[0]).toMatch(/not rewritten or translated into German/);
    expect(result.notes[0]).toMatch(/not glossed/);
  });

  it('says when the source is shorter than the target', async () => {
    const short: SourceDocument = { ...source, text: article.text.split('\n\n').slice(0, 2).join('\n\n') };
    const result = await new OfflineGenerator().generate(request({ candidates: [short], targetWords: 800 }), context().ctx);
    expect(result.notes.join(' ')).toMatch(/shorter than the 800-word target/);
  });
});

describe('sentence splitting', () => {
  it('keeps abbreviations and multi-sentence quotes together', () => {
    const s = splitSentences('Dr. Osei spoke to U.S. officials. "It works. We know it," she said. Then we left.');
    expect(s.map((x) => x.text)).toEqual(['Dr. Osei spoke to U.S. officials.', '"It works. We know it," she said.', 'Then we left.']);
  });
});
