import type { ArticleMeta } from '@opad/core/http-contract';
import type { GenerationResult } from './generators/generator.ts';

const escape = (s: string) => s.replace(/([\\[\]*_`])/g, '\\$1');

/** The stored reading text: title, body, vocabulary, and where it came from. */
export function renderMarkdown(result: GenerationResult, meta: Pick<ArticleMeta, 'generator' | 'model' | 'params'>): string {
  const { source } = result;
  const lines = [`# ${result.title.replace(/\n/g, ' ')}`, '', result.body.trim(), ''];
  if (result.vocabulary.length > 0) {
    lines.push('## Vocabulary', '');
    for (const g of result.vocabulary) {
      const pos = g.partOfSpeech ? ` _(${g.partOfSpeech})_` : '';
      const example = g.example ? ` — “${g.example}”` : '';
      lines.push(`- **${escape(g.word)}**${pos}: ${g.definition}${example}`);
    }
    lines.push('');
  }
  const name = source.title ?? source.siteName ?? source.url ?? 'the source';
  const origin = source.url ? `[${escape(name)}](${source.url})` : source.kind === 'text' ? `text provided by the reader${source.title ? ` (“${escape(source.title)}”)` : ''}` : escape(name);
  const by = [source.byline, source.url && source.siteName && source.siteName !== name ? source.siteName : null].filter(Boolean).join(', ');
  lines.push('---', '', `Source: ${origin}${by ? ` — ${escape(by)}` : ''}.`, '');
  const how = meta.generator === 'offline' ? 'selected offline (no language model)' : `adapted by ${meta.model}`;
  lines.push(`_Level ${meta.params.level}, about ${meta.params.targetWords} words, ${how}._`, '');
  for (const note of result.notes) lines.push(`> ${note}`, '');
  return `${lines.join('\n').trimEnd()}\n`;
}
