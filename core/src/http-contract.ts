import { z } from 'zod';
import { ARTICLE_STATUSES, GENERATORS, JOB_STATUSES, STAGES, TARGET_WORDS, languageSchema, levelSchema } from './domain.ts';

/**
 * The HTTP contract between api and its clients (web, curl users). The api validates with these
 * schemas, `/openapi.json` is generated from them, and the web's typed client parses responses
 * with them: one definition, no hand-copied types.
 */

export const MAX_SOURCE_TEXT_CHARS = 100_000;
export const MAX_JSON_BODY_BYTES = 1_048_576;

export const uuidSchema = z.uuid({ message: 'must be a UUID' });
export const idParamsSchema = z.object({ id: uuidSchema });

const httpUrl = z
  .url({ message: 'must be an absolute URL' })
  .max(2048)
  .refine((u) => /^https?:\/\//i.test(u), { message: 'must be an http:// or https:// URL' });

export const createArticleSchema = z
  .object({
    sourceUrl: httpUrl.optional().describe('A news article to fetch and adapt'),
    sourceText: z.string().trim().min(1).max(MAX_SOURCE_TEXT_CHARS).optional().describe('Article text pasted by the user'),
    topic: z.string().trim().min(2).max(200).optional().describe('A topic; a search provider finds a recent article'),
    sourceTitle: z.string().trim().max(300).optional(),
    language: languageSchema.describe('Target language (ISO 639-1)'),
    level: levelSchema.describe('CEFR level of the reader'),
    targetWords: z.number().int().min(TARGET_WORDS.min).max(TARGET_WORDS.max).default(TARGET_WORDS.default),
  })
  .strict()
  .superRefine((body, ctx) => {
    const given = [body.sourceUrl, body.sourceText, body.topic].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given === 0 ? ['sourceUrl'] : [],
        message: 'give exactly one of sourceUrl, sourceText or topic',
      });
    }
  });
export type CreateArticleInput = z.infer<typeof createArticleSchema>;

export const listArticlesQuerySchema = z
  .object({
    cursor: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    status: z.enum(ARTICLE_STATUSES).optional(),
    language: languageSchema.optional(),
    level: levelSchema.optional(),
  })
  .strict();
export type ListArticlesQuery = z.infer<typeof listArticlesQuerySchema>;

const isoDate = z.iso.datetime({ offset: true });

export const usageSchema = z.object({ inputTokens: z.number().int().nonnegative(), outputTokens: z.number().int().nonnegative() });
export type Usage = z.infer<typeof usageSchema>;

export const jobSchema = z.object({
  id: uuidSchema,
  articleId: uuidSchema,
  status: z.enum(JOB_STATUSES),
  progress: z.number().int().min(0).max(100),
  stage: z.enum(STAGES).nullable(),
  attempts: z.number().int().nonnegative(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  usage: usageSchema,
  createdAt: isoDate,
  startedAt: isoDate.nullable(),
  finishedAt: isoDate.nullable(),
});
export type JobDto = z.infer<typeof jobSchema>;

export const articleSchema = z.object({
  id: uuidSchema,
  status: z.enum(ARTICLE_STATUSES),
  title: z.string().nullable(),
  language: languageSchema,
  level: levelSchema,
  targetWords: z.number().int(),
  source: z.object({
    kind: z.enum(['url', 'text', 'topic']),
    url: z.string().nullable(),
    title: z.string().nullable(),
    topic: z.string().nullable(),
    excerpt: z.string().nullable(),
  }),
  createdAt: isoDate,
  updatedAt: isoDate,
  latestJob: jobSchema.nullable(),
});
export type ArticleDto = z.infer<typeof articleSchema>;

export const articleListSchema = z.object({ items: z.array(articleSchema), nextCursor: z.string().nullable() });
export type ArticleListDto = z.infer<typeof articleListSchema>;

export const generateResponseSchema = z.object({ jobId: uuidSchema, status: z.enum(JOB_STATUSES) });
export type GenerateResponse = z.infer<typeof generateResponseSchema>;

export const glossSchema = z.object({
  word: z.string().min(1),
  definition: z.string().min(1),
  example: z.string().nullable(),
  partOfSpeech: z.string().nullable(),
});
export type Gloss = z.infer<typeof glossSchema>;

export const articleMetaSchema = z.object({
  articleId: uuidSchema,
  jobId: uuidSchema,
  generator: z.enum(GENERATORS),
  model: z.string(),
  source: z.object({
    kind: z.enum(['url', 'text', 'topic']),
    url: z.string().nullable(),
    title: z.string().nullable(),
    siteName: z.string().nullable(),
    byline: z.string().nullable(),
  }),
  params: z.object({ language: languageSchema, level: levelSchema, targetWords: z.number().int() }),
  title: z.string(),
  wordCount: z.number().int().nonnegative(),
  vocabulary: z.array(glossSchema),
  usage: usageSchema,
  notes: z.array(z.string()).describe('Plain-language remarks about how the text was made (e.g. offline limits)'),
  createdAt: isoDate,
});
export type ArticleMeta = z.infer<typeof articleMetaSchema>;

/** Server-Sent Events on GET /jobs/:id/events: `event: progress` until `event: end`. */
export const jobEventSchema = z.object({
  jobId: uuidSchema,
  status: z.enum(JOB_STATUSES),
  progress: z.number().int().min(0).max(100),
  stage: z.enum(STAGES).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type JobEvent = z.infer<typeof jobEventSchema>;

export const errorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;
