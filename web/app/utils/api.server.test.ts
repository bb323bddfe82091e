import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@opad/core/testing/ports';
import { startFakeApi, type FakeApi } from '../../test/fake-api.ts';
import { ApiError, ApiUnavailableError, createApiClient } from './api.server.ts';

let fake: FakeApi;
beforeAll(async () => {
  fake = await startFakeApi();
});
afterAll(() => fake.close());

describe('api client', () => {
  it('parses responses with the contract schemas', async () => {
    const a = fake.seedArticle();
    const client = createApiClient({ baseUrl: fake.url, timeoutMs: 2_000 });
    const got = await client.getArticle(a.id);
    expect(got.id).toBe(a.id);
    const list = await client.listArticles({ level: 'B1', limit: 5 });
    expect(list.items.map((i) => i.id)).toContain(a.id);
    expect(fake.requests.at(-1)?.url).toBe('/articles?level=B1&limit=5');
  });

  it('turns an api error body into an ApiError with field errors', async () => {
    const client = createApiClient({ baseUrl: fake.url, timeoutMs: 2_000 });
    const err = await client.createArticle({ language: 'xx', level: 'B1', targetWords: 150, sourceText: 'x' } as never).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('invalid_input');
    expect(Object.keys(err.fieldErrors)).toContain('language');
  });

  it('maps 404 to ApiError and not-ready content to null', async () => {
    const client = createApiClient({ baseUrl: fake.url, timeoutMs: 2_000 });
    await expect(client.getArticle('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404, code: 'not_found' });
    const a = fake.seedArticle();
    expect(await client.getContent(a.id)).toBeNull();
    expect(await client.getMeta(a.id)).toBeNull();
  });

  it('times out a slow api', async () => {
    fake.delayMs = 300;
    try {
      const client = createApiClient({ baseUrl: fake.url, timeoutMs: 50 });
      const err = await client.listArticles().catch((e) => e);
      expect(err).toBeInstanceOf(ApiUnavailableError);
      expect(err.reason).toBe('timeout');
    } finally {
      fake.delayMs = 0;
    }
  });

  it('reports an api that is down as unreachable', async () => {
    const client = createApiClient({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 1_000 });
    const err = await client.listArticles().catch((e) => e);
    expect(err).toBeInstanceOf(ApiUnavailableError);
    expect(err.reason).toBe('unreachable');
  });

  it('refuses a response that breaks the contract', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [{ id: 'nope' }], nextCursor: null }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const client = createApiClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, timeoutMs: 1_000 });
      const err = await client.listArticles().catch((e) => e);
      expect(err).toBeInstanceOf(ApiUnavailableError);
      expect(err.reason).toBe('bad_response');
    } finally {
      server.close();
    }
  });
});
