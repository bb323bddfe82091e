/**
 * Typed errors carry a stable code. The code decides the HTTP status in the api and the retry
 * policy in the worker: `retryable: false` becomes BullMQ's UnrecoverableError so no retry
 * budget is wasted on what a retry cannot fix.
 */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_json: 400,
  not_found: 404,
  conflict: 409,
  not_ready: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  dependency_unavailable: 503,
  internal: 500,
} as const;

export type HttpErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly retryable: boolean;
  constructor(code: string, message: string, options: { status?: number; details?: unknown; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? (ERROR_STATUS as Record<string, number>)[code] ?? 500;
    this.details = options.details;
    this.retryable = options.retryable ?? false;
  }
}

export const notFound = (what: string, id: string) => new AppError('not_found', `${what} ${id} was not found`, { details: { id } });

/** A 503: a dependency is down. `message`/`details` say what the client should know (e.g. a kept job id). */
export const dependencyUnavailable = (dependency: string, cause?: unknown, extra: { message?: string; details?: Record<string, unknown> } = {}) =>
  new AppError('dependency_unavailable', extra.message ?? `${dependency} is unavailable; try again shortly`, {
    details: { dependency, ...extra.details },
    retryable: true,
    cause,
  });

/** Codes a generation can fail with; shown to users, so each has a plain meaning. */
export const GENERATION_ERROR_CODES = {
  source_fetch_failed: 'The source page could not be fetched.',
  source_blocked: 'The source address is not allowed (private or internal network).',
  source_too_large: 'The source page is larger than the size limit.',
  source_unreadable: 'No readable article text was found at the source.',
  source_too_short: 'The source text is too short to adapt.',
  search_unavailable: 'Topic search is not configured on this server.',
  llm_unavailable: 'The language model could not be reached.',
  llm_rejected: 'The language model refused the request.',
  llm_malformed: 'The language model returned an answer that could not be understood.',
  storage_failed: 'The result could not be stored.',
  internal: 'An unexpected error occurred.',
} as const;

export type GenerationErrorCode = keyof typeof GENERATION_ERROR_CODES;

export class GenerationError extends AppError {
  constructor(code: GenerationErrorCode, message: string = GENERATION_ERROR_CODES[code], options: { retryable?: boolean; cause?: unknown; details?: unknown } = {}) {
    super(code, message, { status: 422, ...options });
    this.name = 'GenerationError';
  }
}
