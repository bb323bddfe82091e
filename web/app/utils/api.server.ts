import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { Readable } from 'node:stream';
import { json } from '@remix-run/node';
import type { z } from 'zod';
import {
  articleListSchema,
  articleMetaSchema,
  articleSchema,
  errorBodySchema,
  generateResponseSchema,
  jobSchema,
  type ArticleDto,
  type ArticleListDto,
  type ArticleMeta,
  type CreateArticleInput,
  type GenerateResponse,
  type JobDto,
  type ListArticlesQuery,
} from '@opad/core/http-contract';
import { getConfig, getLogger } from '../config.server.ts';

/**
 * The one client to the api. Every call has a timeout, every response is parsed with the
 * api's own zod schemas (@opad/core/http-contract), and failures become typed errors:
 * - ApiError: the api answered with `{error:{code,message,details}}`;
 * - ApiUnavailableError: no answer (down, refused, timed out) or an answer we can't read.
 */

export type FieldErrors = Record<string, string[]>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
  /** zod field issues the api puts in `error.details.fieldErrors` for a 400. */
  get fieldErrors(): FieldErrors {
    const d = this.details as { fieldErrors?: unknown } | undefined;
    const fe = d?.fieldErrors;
    if (!fe || typeof fe !== 'object') return {};
    const out: FieldErrors = {};
    for (const [k, v] of Object.entries(fe as Record<string, unknown>)) {
      if (Array.isArray(v)) out[k] = v.filter((m): m is string => typeof m === 'string');
    }
    return out;
  }
}

export class ApiUnavailableError extends Error {
  readonly reason: 'timeout' | 'unreachable' | 'bad_response';
  constructor(reason: 'timeout' | 'unreachable' | 'bad_response', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ApiUnavailableError';
    this.reason = reason;
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  timeoutMs: number;
  /** Forwarded to the api so a client that goes away cancels the call too. */
  signal?: AbortSignal;
}

type Init = { method?: string; body?: unknown; accept?: string; signal?: AbortSignal };

export function createApiClient(options: ApiClientOptions) {
  const { baseUrl, timeoutMs } = options;

  async function send(path: string, init: Init = {}): Promise<Response> {
    const signals = [AbortSignal.timeout(timeoutMs)];
    if (init.signal) signals.push(init.signal);
    else if (options.signal) signals.push(options.signal);
    const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${baseUrl}${path}`, {
        method: init.method ?? 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TimeoutError') {
        throw new ApiUnavailableError('timeout', `The api did not answer ${init.method ?? 'GET'} ${path} within ${timeoutMs} ms`, { cause: error });
      }
      if (name === 'AbortError') throw error;
      throw new ApiUnavailableError('unreachable', `The api could not be reached for ${init.method ?? 'GET'} ${path}`, { cause: error });
    }
    if (!res.ok) throw await toApiError(res, path);
    return res;
  }

  async function readJson<S extends z.ZodType>(res: Response, schema: S, path: string): Promise<z.infer<S>> {
    let body: unknown;
    try {
      body = await res.json();
    } catch (error) {
      throw new ApiUnavailableError('bad_response', `The api sent a response to ${path} that is not JSON`, { cause: error });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new ApiUnavailableError('bad_response', `The api's response to ${path} does not match the contract: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  return {
    async listArticles(query: Partial<ListArticlesQuery> = {}): Promise<ArticleListDto> {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
      const qs = params.toString();
      const path = `/articles${qs ? `?${qs}` : ''}`;
      return readJson(await send(path), articleListSchema, path);
    },
    async getArticle(id: string): Promise<ArticleDto> {
      const path = `/articles/${encodeURIComponent(id)}`;
      return readJson(await send(path), articleSchema, path);
    },
    async createArticle(input: CreateArticleInput): Promise<ArticleDto> {
      return readJson(await send('/articles', { method: 'POST', body: input }), articleSchema, '/articles');
    },
    async deleteArticle(id: string): Promise<void> {
      const res = await send(`/articles/${encodeURIComponent(id)}`, { method: 'DELETE' });
      await res.body?.cancel();
    },
    async generate(id: string): Promise<GenerateResponse> {
      const path = `/articles/${encodeURIComponent(id)}/generate`;
      return readJson(await send(path, { method: 'POST', body: {} }), generateResponseSchema, path);
    },
    /** The adapted markdown, or null while it is not ready (409 not_ready / 404). */
    async getContent(id: string): Promise<string | null> {
      const path = `/articles/${encodeURIComponent(id)}/content`;
      try {
        return await (await send(path, { accept: 'text/markdown' })).text();
      } catch (error) {
        if (error instanceof ApiError && (error.status === 409 || error.status === 404)) return null;
        throw error;
      }
    },
    async getMeta(id: string): Promise<ArticleMeta | null> {
      const path = `/articles/${encodeURIComponent(id)}/meta`;
      try {
        return await readJson(await send(path), articleMetaSchema, path);
      } catch (error) {
        if (error instanceof ApiError && (error.status === 409 || error.status === 404)) return null;
        throw error;
      }
    },
    async getJob(id: string): Promise<JobDto> {
      const path = `/jobs/${encodeURIComponent(id)}`;
      return readJson(await send(path), jobSchema, path);
    },
    /**
     * Opens the api's SSE stream for a job. The timeout covers the wait for the response
     * headers only; the stream itself then lasts until the job ends or `signal` aborts.
     * It runs on a connection of its own (node:http, no keep-alive pool), so a long-lived
     * stream never shares or leaves behind a pooled socket that the short calls reuse.
     */
    async openJobEvents(id: string, signal: AbortSignal): Promise<Response> {
      const path = `/jobs/${encodeURIComponent(id)}/events`;
      const url = new URL(`${baseUrl}${path}`);
      const get = url.protocol === 'https:' ? httpsGet : httpGet;
      return new Promise<Response>((resolve, reject) => {
        const timer = setTimeout(() => {
          req.destroy();
          reject(new ApiUnavailableError('timeout', `The api did not open ${path} within ${timeoutMs} ms`));
        }, timeoutMs);
        const req = get(url, { agent: false, headers: { accept: 'text/event-stream' }, signal }, (res) => {
          clearTimeout(timer);
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
          const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
          const response = new Response(body, { status: res.statusCode ?? 502, headers });
          if (response.ok) return resolve(response);
          toApiError(response, path).then(reject, reject);
        });
        req.on('error', (error) => {
          clearTimeout(timer);
          if ((error as { name?: string }).name === 'AbortError') return reject(error);
          reject(new ApiUnavailableError('unreachable', `The api could not be reached for ${path}`, { cause: error }));
        });
      });
    },
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

async function toApiError(res: Response, path: string): Promise<ApiError | ApiUnavailableError> {
  let text = '';
  let body: unknown;
  try {
    text = await res.text();
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) getLogger().warn({ status: res.status, path, body: text.slice(0, 300) }, 'api error without the error shape');
  if (parsed.success) return new ApiError(res.status, parsed.data.error.code, parsed.data.error.message, parsed.data.error.details);
  if (res.status >= 500) return new ApiUnavailableError('bad_response', `The api answered ${res.status} to ${path}`);
  return new ApiError(res.status, `http_${res.status}`, `The api answered ${res.status} to ${path}`);
}

/** The client for one incoming request (its abort cancels the api calls). */
export function api(request?: Request): ApiClient {
  const config = getConfig();
  return createApiClient({ baseUrl: config.API_BASE_URL, timeoutMs: config.API_TIMEOUT_MS, signal: request?.signal });
}

export interface RouteErrorData {
  kind: 'api_unavailable' | 'not_found' | 'api_error';
  title: string;
  message: string;
}

/**
 * For loaders and actions: turns a failed api call into a thrown Response the route's error
 * boundary shows in plain words (never a stack trace). Anything else is rethrown.
 */
export function throwRouteError(error: unknown, what = 'page'): never {
  if (error instanceof Response) throw error;
  if (error instanceof ApiUnavailableError) {
    getLogger().warn({ err: { message: error.message, reason: error.reason } }, 'api unavailable');
    throw json<RouteErrorData>(
      {
        kind: 'api_unavailable',
        title: error.reason === 'timeout' ? 'OPAD is taking too long to answer' : 'OPAD is not reachable right now',
        message: 'The service behind this site did not answer. Nothing you entered was lost on our side. Please try again in a moment.',
      },
      { status: 503, headers: { 'Retry-After': '5' } },
    );
  }
  if (error instanceof ApiError) {
    if (error.status === 404) {
      throw json<RouteErrorData>({ kind: 'not_found', title: 'Not found', message: `This ${what} does not exist, or it was deleted.` }, { status: 404 });
    }
    throw json<RouteErrorData>(
      { kind: 'api_error', title: 'Something went wrong', message: error.message },
      { status: error.status >= 400 && error.status < 600 ? error.status : 502 },
    );
  }
  throw error;
}
