import { LANGUAGES, LEVEL_DESCRIPTIONS, type Language, type Level } from '@opad/core/domain';
import { z } from 'zod';

/** JSON schemas for structured outputs (strict mode: every field required, nothing extra) and the zod twins that check the answers. */
export const adaptAnswer = z.object({ sourceIndex: z.number().int().min(0), title: z.string().min(1), body: z.string().min(1) });
export const adaptSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['sourceIndex', 'title', 'body'],
  properties: {
    sourceIndex: { type: 'integer', description: 'Index of the source article used' },
    title: { type: 'string' },
    body: { type: 'string', description: 'The adapted text as markdown paragraphs, without a title' },
  },
};

export const reviewAnswer = z.object({
  verdict: z.enum(['ok', 'fixed']),
  problems: z.array(z.string()),
  title: z.string().min(1),
  body: z.string().min(1),
});
export const reviewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['verdict', 'problems', 'title', 'body'],
  properties: {
    verdict: { type: 'string', enum: ['ok', 'fixed'] },
    problems: { type: 'array', items: { type: 'string' } },
    title: { type: 'string' },
    body: { type: 'string' },
  },
};

export const glossAnswer = z.object({
  vocabulary: z.array(
    z.object({ word: z.string().min(1), definition: z.string().min(1), example: z.string().nullable(), partOfSpeech: z.string().nullable() }),
  ),
});
export const glossSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['vocabulary'],
  properties: {
    vocabulary: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['word', 'definition', 'example', 'partOfSpeech'],
        properties: {
          word: { type: 'string' },
          definition: { type: 'string' },
          example: { type: ['string', 'null'] },
          partOfSpeech: { type: ['string', 'null'] },
        },
      },
    },
  },
};

const describe = (language: Language, level: Level, targetWords: number) =>
  `Target language: ${LANGUAGES[language]}. Reader level: CEFR ${level} (${LEVEL_DESCRIPTIONS[level]}). Target length: ${targetWords} words (stay within ±10%).`;

export const ADAPT_SYSTEM =
  'You adapt news articles into reading material for language learners. Choose the candidate article that best fits the level and length, ' +
  'then rewrite it in the target language for the reader level: keep the facts, names and numbers of the source, invent nothing, ' +
  'use vocabulary and sentence length the level can manage, write in plain paragraphs. Answer with JSON only.';

export const adaptUser = (language: Language, level: Level, targetWords: number, candidates: Array<{ title: string | null; text: string }>) =>
  `${describe(language, level, targetWords)}\n\n` +
  candidates.map((c, i) => `## Candidate ${i}${c.title ? `: ${c.title}` : ''}\n${c.text}`).join('\n\n');

export const REVIEW_SYSTEM =
  'You review an adapted text for a language learner. Check three things: the level (vocabulary and grammar fit the reader), ' +
  'the length (within ±10% of the target) and faithfulness (nothing contradicts or goes beyond the source). ' +
  'If all pass, return the text unchanged with verdict "ok"; otherwise fix it and return verdict "fixed" with the problems you fixed. Answer with JSON only.';

export const reviewUser = (language: Language, level: Level, targetWords: number, source: string, title: string, body: string, words: number) =>
  `${describe(language, level, targetWords)}\n\n## Source\n${source}\n\n## Adapted text (${words} words)\n# ${title}\n\n${body}`;

export const GLOSS_SYSTEM =
  'You pick the words of a text that a reader at the given level will find hard (at or above the level), at most 12, ' +
  'in the order they appear, each with a short, simple definition in the text language, an example sentence and the part of speech. Answer with JSON only.';

export const glossUser = (language: Language, level: Level, body: string) => `Language: ${LANGUAGES[language]}. Reader level: CEFR ${level}.\n\n${body}`;
