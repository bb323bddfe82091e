import { z } from 'zod';
import { createArticleSchema, type CreateArticleInput } from '@opad/core/http-contract';
import { LANGUAGES, LEVELS, TARGET_WORDS } from '@opad/core/domain';

/**
 * The create form, parsed on the server (the action) with the api's own schema, so the web
 * and the api agree on what is valid. Errors come back per field, in plain words, with what
 * the user typed kept.
 */

export const SOURCE_KINDS = ['text', 'url', 'topic'] as const;
export type SourceKindChoice = (typeof SOURCE_KINDS)[number];

export const FIELD_BY_KIND: Readonly<Record<SourceKindChoice, 'sourceText' | 'sourceUrl' | 'topic'>> = {
  text: 'sourceText',
  url: 'sourceUrl',
  topic: 'topic',
};

export interface CreateFormValues {
  sourceKind: SourceKindChoice;
  sourceUrl: string;
  sourceText: string;
  sourceTitle: string;
  topic: string;
  language: string;
  level: string;
  targetWords: string;
}

export type CreateFormErrors = Partial<Record<keyof CreateFormValues | 'form', string[]>>;

export const DEFAULT_VALUES: CreateFormValues = {
  sourceKind: 'text',
  sourceUrl: '',
  sourceText: '',
  sourceTitle: '',
  topic: '',
  language: 'en',
  level: 'B1',
  targetWords: String(TARGET_WORDS.default),
};

const FRIENDLY: Partial<Record<keyof CreateFormValues, string>> = {
  sourceUrl: 'Enter the full address of an article, starting with http:// or https://',
  topic: 'Enter a topic of 2 to 200 characters',
  language: `Choose one of: ${Object.values(LANGUAGES).join(', ')}`,
  level: `Choose a level from ${LEVELS[0]} to ${LEVELS[LEVELS.length - 1]}`,
  targetWords: `Choose a length between ${TARGET_WORDS.min} and ${TARGET_WORDS.max} words`,
};

const MISSING: Readonly<Record<SourceKindChoice, string>> = {
  text: 'Paste the text of an article',
  url: 'Enter the address of an article',
  topic: 'Enter a topic',
};

function str(form: FormData, name: string): string {
  const v = form.get(name);
  return typeof v === 'string' ? v : '';
}

export function readValues(form: FormData): CreateFormValues {
  const kind = str(form, 'sourceKind');
  return {
    sourceKind: (SOURCE_KINDS as readonly string[]).includes(kind) ? (kind as SourceKindChoice) : 'text',
    sourceUrl: str(form, 'sourceUrl').trim(),
    sourceText: str(form, 'sourceText'),
    sourceTitle: str(form, 'sourceTitle').trim(),
    topic: str(form, 'topic').trim(),
    language: str(form, 'language'),
    level: str(form, 'level'),
    targetWords: str(form, 'targetWords').trim(),
  };
}

export type ParsedCreateForm =
  | { ok: true; input: CreateArticleInput; values: CreateFormValues }
  | { ok: false; errors: CreateFormErrors; values: CreateFormValues };

export function parseCreateForm(form: FormData): ParsedCreateForm {
  const values = readValues(form);
  const field = FIELD_BY_KIND[values.sourceKind];
  const errors: CreateFormErrors = {};
  if (values[field].trim() === '') errors[field] = [MISSING[values.sourceKind]];

  const candidate: Record<string, unknown> = {
    language: values.language,
    level: values.level,
    targetWords: values.targetWords === '' ? undefined : Number(values.targetWords),
  };
  if (values[field].trim() !== '') candidate[field] = values[field];
  if (values.sourceKind === 'text' && values.sourceTitle) candidate.sourceTitle = values.sourceTitle;

  const result = createArticleSchema.safeParse(candidate);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path[0];
      if (typeof key !== 'string') continue; // "exactly one source" is covered by MISSING above
      const name = key as keyof CreateFormValues;
      if (errors[name]) continue;
      errors[name] = [FRIENDLY[name] ?? issue.message];
    }
  }
  if (Object.keys(errors).length > 0 || !result.success) {
    if (Object.keys(errors).length === 0) errors.form = [z.prettifyError(result.error!)];
    return { ok: false, errors, values };
  }
  return { ok: true, input: result.data, values };
}

/** The api's own field errors (a 400's `details.fieldErrors`) mapped onto the form's fields. */
export function apiFieldErrors(fieldErrors: Record<string, string[]>): CreateFormErrors {
  const out: CreateFormErrors = {};
  for (const [k, messages] of Object.entries(fieldErrors)) {
    const name = (k in DEFAULT_VALUES ? k : 'form') as keyof CreateFormErrors;
    out[name] = [...(out[name] ?? []), ...messages];
  }
  return out;
}
