import type { IRouter, RequestHandler } from 'express';
import type { Counter } from 'prom-client';
import { AppError } from '@opad/core/errors';
import { createArticleSchema, idParamsSchema, listArticlesQuerySchema, type GenerateResponse } from '@opad/core/http-contract';
import type { ArticleService } from '../articles/article-service.ts';
import { parseBody, parseParams, parseQuery } from '../http/validate.ts';

export function registerArticleRoutes(router: IRouter, service: ArticleService, limitWrites: RequestHandler, generateRequests: Counter<'outcome'>): void {
  router.post('/articles', limitWrites, async (req, res) => {
    const input = parseBody(req, createArticleSchema);
    const article = await service.create(input);
    res.status(201).location(`/articles/${article.id}`).json(article);
  });

  router.get('/articles', async (req, res) => {
    res.json(await service.list(parseQuery(req, listArticlesQuerySchema)));
  });

  router.get('/articles/:id', async (req, res) => {
    res.json(await service.get(parseParams(req, idParamsSchema).id));
  });

  router.delete('/articles/:id', limitWrites, async (req, res) => {
    await service.remove(parseParams(req, idParamsSchema).id);
    res.status(204).end();
  });

  router.post('/articles/:id/generate', limitWrites, async (req, res) => {
    const { id } = parseParams(req, idParamsSchema);
    let outcome: Awaited<ReturnType<ArticleService['generate']>>;
    try {
      outcome = await service.generate(id);
    } catch (error) {
      if (error instanceof AppError && error.status === 503) generateRequests.inc({ outcome: 'queue_unavailable' });
      throw error;
    }
    const { created, jobId, status } = outcome;
    generateRequests.inc({ outcome: created ? 'created' : 'existing' });
    const body: GenerateResponse = { jobId, status };
    res.status(created ? 202 : 200).location(`/jobs/${jobId}`).json(body);
  });

  router.get('/articles/:id/content', async (req, res) => {
    const text = await service.content(parseParams(req, idParamsSchema).id);
    res.type('text/markdown; charset=utf-8').send(text);
  });

  router.get('/articles/:id/meta', async (req, res) => {
    res.json(await service.meta(parseParams(req, idParamsSchema).id));
  });
}
