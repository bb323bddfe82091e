import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '@opad/core/errors';

/**
 * Per-client limit on writes (create, generate, delete), so one client cannot flood the queue.
 * In memory per api replica: the limit a client sees is per replica, which is enough to stop
 * accidents and runaway scripts; a shared Redis limiter would make Redis a hard dependency of reads.
 */
export function writeRateLimit(perMinute: number): RequestHandler {
  if (perMinute <= 0) return (_req, _res, next) => next();
  const limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  return async (req, res, next) => {
    try {
      await limiter.consume(req.ip ?? 'unknown');
      next();
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) return next(rejection);
      const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      res.setHeader('Retry-After', String(seconds));
      next(new AppError('rate_limited', `Too many requests; retry in ${seconds} s`, { details: { retryAfterSeconds: seconds } }));
    }
  };
}
