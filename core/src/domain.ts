import { z } from 'zod';

/** CEFR levels, easiest first; the index orders them. */
export const LEVELS = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;
export const levelSchema = z.enum(LEVELS);
export type Level = z.infer<typeof levelSchema>;

export const LEVEL_DESCRIPTIONS: Readonly<Record<Level, string>> = {
  A1: 'Beginner: everyday words and very short, simple sentences.',
  A2: 'Elementary: familiar topics in short, clear sentences.',
  B1: 'Intermediate: the main points of clear text on familiar matters.',
  B2: 'Upper intermediate: complex text on concrete and abstract topics.',
  C1: 'Advanced: long, demanding text and implicit meaning.',
  C2: 'Proficient: virtually everything, with fine shades of meaning.',
};

export const levelRank = (level: Level): number => LEVELS.indexOf(level);

/** Target languages (the seed system's set); ISO 639-1 codes. */
export const LANGUAGES = {
  en: 'English',
  de: 'German',
  es: 'Spanish',
  fr: 'French',
  ko: 'Korean',
} as const;
export type Language = keyof typeof LANGUAGES;
export const languageSchema = z.enum(Object.keys(LANGUAGES) as [Language, ...Language[]]);

export const ARTICLE_STATUSES = ['draft', 'generating', 'ready', 'failed'] as const;
export type ArticleStatus = (typeof ARTICLE_STATUSES)[number];

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const ACTIVE_JOB_STATUSES = ['queued', 'running'] as const satisfies readonly JobStatus[];
export const isTerminalJobStatus = (status: JobStatus): boolean => status === 'succeeded' || status === 'failed';

/** Pipeline stages in order, with the progress (percent) reached when each one starts. */
export const STAGES = ['source', 'select', 'adapt', 'review', 'gloss', 'store'] as const;
export type Stage = (typeof STAGES)[number];
export const STAGE_PROGRESS: Readonly<Record<Stage, number>> = {
  source: 5,
  select: 20,
  adapt: 35,
  review: 65,
  gloss: 80,
  store: 92,
};
export const STAGE_LABELS: Readonly<Record<Stage, string>> = {
  source: 'Reading the source',
  select: 'Choosing the article',
  adapt: 'Rewriting for your level',
  review: 'Checking level and length',
  gloss: 'Explaining the harder words',
  store: 'Saving the result',
};

export const TARGET_WORDS = { min: 30, max: 2000, default: 150 } as const;

export type SourceKind = 'url' | 'text' | 'topic';

export const GENERATORS = ['openai', 'offline'] as const;
export type GeneratorName = (typeof GENERATORS)[number];

/** Where results live in the object store (the seed's layout). */
export const objectKeys = {
  adapted: (articleId: string) => `articles/${articleId}/adapted.md`,
  meta: (articleId: string) => `articles/${articleId}/meta.json`,
};
