import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { AppError, dependencyUnavailable } from '@opad/core/errors';
import type { ErrorBody } from '@opad/core/http-contract';
import type { Logger } from '@opad/core/logger';

/** A zod failure as a 400 with `details.fieldErrors` ({ field: [messages] }) for forms to show. */
export function validationError(error: z.ZodError, where: 'body' | 'query' | 'path'): AppError {
  const fieldErrors: Record<string, string[]> = {};
  const formErrors: string[] = [];
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.');
    if (field) (fieldErrors[field] ??= []).push(issue.message);
    else formErrors.push(issue.message);
  }
  const summary = error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return new AppError('invalid_request', `Invalid ${where}: ${summary}`, { details: { fieldErrors, formErrors } });
}

const isRedisDown = (error: unknown): boolean => {
  const message = error instanceof Error ? error.message : '';
  const code = (error as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|Reached the max retries|Command timed out|ECONNREFUSED|ETIMEDOUT/i.test(message)
  );
};

/** Classifies an error into the DESIGN error shape; dependency failures become a clean 503. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const bodyParser = error as { type?: string; status?: number; expose?: boolean };
  if (bodyParser.type === 'entity.too.large') return new AppError('payload_too_large', 'The request body is too large');
  if (bodyParser.type === 'entity.parse.failed') return new AppError('invalid_json', 'The request body is not valid JSON');
  if (bodyParser.type === 'charset.unsupported' || bodyParser.type === 'encoding.unsupported')
    return new AppError('unsupported_media_type', 'Unsupported body encoding; send UTF-8 JSON');
  if (bodyParser.type === 'request.aborted') return new AppError('invalid_request', 'The request was aborted');
  // Database failures arrive already classified (core/db/pg-pool `query`).
  if (isRedisDown(error)) return dependencyUnavailable('queue', error);
  return new AppError('internal', 'Something went wrong on our side', { status: 500, cause: error });
}

export function sendError(res: import('express').Response, error: AppError): void {
  const body: ErrorBody = { error: { code: error.code, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) } };
  if (error.status === 503) res.setHeader('Retry-After', '5');
  res.status(error.status).json(body);
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    const appError = toAppError(error);
    if (appError.status >= 500) log.error({ err: error, method: req.method, path: req.path, code: appError.code }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    sendError(res, appError);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `No route for ${req.method} ${req.path}`));
};
