import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '@opad/core/errors';
import { validationError } from './errors.ts';

export function parseBody<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  if (!req.is('application/json')) {
    throw new AppError('unsupported_media_type', 'Send the body as JSON with Content-Type: application/json');
  }
  const result = schema.safeParse(req.body);
  if (!result.success) throw validationError(result.error, 'body');
  return result.data;
}

export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const result = schema.safeParse(req.query);
  if (!result.success) throw validationError(result.error, 'query');
  return result.data;
}

export function parseParams<S extends z.ZodType>(req: Request, schema: S): z.infer<S> {
  const result = schema.safeParse(req.params);
  if (!result.success) throw validationError(result.error, 'path');
  return result.data;
}
