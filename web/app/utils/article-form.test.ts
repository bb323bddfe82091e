import { describe, expect, it } from 'vitest';
import { apiFieldErrors, parseCreateForm } from './article-form.ts';

const form = (fields: Record<string, string>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
};

describe('create form', () => {
  it('accepts pasted text and sends only that source', () => {
    const r = parseCreateForm(form({ sourceKind: 'text', sourceText: 'Hello world.', sourceUrl: 'ignored', language: 'de', level: 'A2', targetWords: '120' }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.input).toEqual({ sourceText: 'Hello world.', language: 'de', level: 'A2', targetWords: 120 });
  });

  it('puts each error beside its field and keeps the input', () => {
    const r = parseCreateForm(form({ sourceKind: 'url', sourceUrl: 'not a url', language: 'xx', level: 'Z9', targetWords: '5' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.sourceUrl?.[0]).toMatch(/http/);
    expect(r.errors.language?.[0]).toMatch(/English/);
    expect(r.errors.level?.[0]).toMatch(/A1/);
    expect(r.errors.targetWords?.[0]).toMatch(/30/);
    expect(r.values.sourceUrl).toBe('not a url');
  });

  it('asks for the chosen source when it is empty', () => {
    const r = parseCreateForm(form({ sourceKind: 'topic', topic: ' ', language: 'en', level: 'B1', targetWords: '150' }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.topic).toEqual(['Enter a topic']);
  });

  it('maps api field errors onto the form', () => {
    expect(apiFieldErrors({ sourceUrl: ['refused'], weird: ['x'] })).toEqual({ sourceUrl: ['refused'], form: ['x'] });
  });
});
