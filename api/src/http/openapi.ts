import { z } from 'zod';
import {
  articleListSchema,
  articleMetaSchema,
  articleSchema,
  createArticleSchema,
  errorBodySchema,
  generateResponseSchema,
  jobEventSchema,
  jobSchema,
  listArticlesQuerySchema,
} from '@opad/core/http-contract';

/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the handlers validate with
 * (JSON Schema 2020-12 is OpenAPI 3.1's dialect), so the description cannot drift from the code.
 */
type JsonSchema = Record<string, unknown>;

const output = (schema: z.ZodType): JsonSchema => strip(z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }));
const input = (schema: z.ZodType): JsonSchema => strip(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
const strip = ({ $schema: _ignored, ...rest }: JsonSchema): JsonSchema => rest;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const error = (description: string) => ({ description, ...json('Error') });
const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, description: `${what} id (UUID)`, schema: { type: 'string', format: 'uuid' } });

function queryParameters(schema: z.ZodObject<z.ZodRawShape>) {
  const js = input(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({ name, in: 'query', required: js.required?.includes(name) ?? false, schema: s }));
}

const common4xx = {
  '400': error('Invalid input (malformed JSON, wrong types, unknown values, bad UUID)'),
  '429': error('Too many requests; see Retry-After'),
  '503': error('A dependency (database, queue, object store) is unavailable; see Retry-After'),
};

export function buildOpenApiDocument(version: string): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'OPAD api',
      version,
      description: 'One Paragraph A Day: articles rewritten for a CEFR level, generated asynchronously by workers.',
    },
    components: {
      schemas: {
        CreateArticle: input(createArticleSchema),
        Article: output(articleSchema),
        ArticleList: output(articleListSchema),
        ArticleMeta: output(articleMetaSchema),
        Job: output(jobSchema),
        JobEvent: output(jobEventSchema),
        GenerateResponse: output(generateResponseSchema),
        Error: output(errorBodySchema),
      },
    },
    paths: {
      '/articles': {
        post: {
          summary: 'Create an article from a URL, pasted text or a topic',
          requestBody: { required: true, ...json('CreateArticle') },
          responses: {
            '201': { description: 'Created', ...json('Article') },
            '413': error('Body larger than 1 MiB'),
            '415': error('Body is not application/json'),
            ...common4xx,
          },
        },
        get: {
          summary: 'List articles, newest first (keyset pagination)',
          parameters: queryParameters(listArticlesQuerySchema),
          responses: { '200': { description: 'A page of articles', ...json('ArticleList') }, ...common4xx },
        },
      },
      '/articles/{id}': {
        parameters: [idParam('Article')],
        get: { summary: 'One article with its latest job', responses: { '200': { description: 'The article', ...json('Article') }, '404': error('No such article'), ...common4xx } },
        delete: { summary: 'Soft-delete an article', responses: { '204': { description: 'Deleted' }, '404': error('No such article'), ...common4xx } },
      },
      '/articles/{id}/generate': {
        parameters: [idParam('Article')],
        post: {
          summary: 'Enqueue generation; answers at once',
          responses: {
            '202': { description: 'A new job was queued', ...json('GenerateResponse') },
            '200': { description: 'A job is already active for this article; the same job id', ...json('GenerateResponse') },
            '404': error('No such article'),
            ...common4xx,
          },
        },
      },
      '/articles/{id}/content': {
        parameters: [idParam('Article')],
        get: {
          summary: 'The adapted text (markdown) once ready',
          responses: {
            '200': { description: 'Markdown', content: { 'text/markdown': { schema: { type: 'string' } } } },
            '404': error('No such article'),
            '409': error('Not ready yet'),
            ...common4xx,
          },
        },
      },
      '/articles/{id}/meta': {
        parameters: [idParam('Article')],
        get: {
          summary: "The result's metadata: source, parameters, vocabulary, generator, model, usage",
          responses: { '200': { description: 'Metadata', ...json('ArticleMeta') }, '404': error('No such article'), '409': error('Not ready yet'), ...common4xx },
        },
      },
      '/jobs/{id}': {
        parameters: [idParam('Job')],
        get: { summary: 'Job status, progress, stage, error, timings, token usage', responses: { '200': { description: 'The job', ...json('Job') }, '404': error('No such job'), ...common4xx } },
      },
      '/jobs/{id}/events': {
        parameters: [idParam('Job')],
        get: {
          summary: 'Server-Sent Events: `progress` events (JobEvent) until one `end` event',
          responses: {
            '200': { description: 'An event stream; each data line is a JobEvent', content: { 'text/event-stream': { schema: ref('JobEvent') } } },
            '404': error('No such job'),
            ...common4xx,
          },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'The process answers' } } } },
      '/readyz': { get: { summary: 'Readiness: Postgres, Redis and the object store answer', responses: { '200': { description: 'Ready' }, '503': { description: 'A dependency is down' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Text exposition format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
