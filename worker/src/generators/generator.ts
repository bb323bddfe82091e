import type { GeneratorName, Language, Level, SourceKind, Stage } from '@opad/core/domain';
import type { Gloss, Usage } from '@opad/core/http-contract';

/** One source text the pipeline found (a fetched page, pasted text, or a search result). */
export interface SourceDocument {
  kind: SourceKind;
  url: string | null;
  title: string | null;
  siteName: string | null;
  byline: string | null;
  /** Plain text, paragraphs separated by a blank line. */
  text: string;
}

export interface GenerationRequest {
  articleId: string;
  jobId: string;
  language: Language;
  level: Level;
  targetWords: number;
  /** One candidate for pasted text and URLs; two or three for a topic. */
  candidates: SourceDocument[];
}

export interface GenerationResult {
  title: string;
  /** The adapted text as markdown paragraphs (no title, no vocabulary, no attribution). */
  body: string;
  /** The candidate the text was made from. */
  source: SourceDocument;
  vocabulary: Gloss[];
  usage: Usage;
  notes: string[];
}

export interface GenerationContext {
  /** Reports that a stage starts (progress + stage to the queue and the job row). */
  stage(stage: Exclude<Stage, 'source' | 'store'>): Promise<void>;
  /** Aborted when the worker shuts down and releases the job, or the job is cancelled. */
  signal: AbortSignal;
}

/**
 * A generator turns source candidates into graded reading material: select → adapt → review →
 * gloss, reporting each stage through the context. `source` and `store` belong to the pipeline.
 */
export interface Generator {
  readonly name: GeneratorName;
  readonly model: string;
  generate(request: GenerationRequest, context: GenerationContext): Promise<GenerationResult>;
}

export const countWords = (text: string): number => (text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? []).length;
