import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerationError } from '@opad/core/errors';
import { blockedReason } from './address-policy.ts';
import { safeFetch, systemResolve, type ResolveHost } from './safe-fetch.ts';
import { html, redirect, startPageServer } from '../testing/page-server.ts';

let pages: Awaited<ReturnType<typeof startPageServer>>;
const base = { timeoutMs: 2_000, maxBytes: 64 * 1024 };

beforeAll(async () => {
  pages = await startPageServer({
    '/article': html('<html><body><p>Hello</p></body></html>'),
    '/to-metadata': redirect('http://169.254.169.254/latest/meta-data/'),
    '/to-localhost': redirect('http://localhost:9/'),
    '/to-private-name': redirect('http://intranet.example.com/'),
    '/to-self': redirect('/article'),
    '/loop': redirect('/loop'),
    '/big': (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('x'.repeat(200 * 1024));
    },
    '/slow': (res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html>');
      setTimeout(() => res.end('</html>'), 5_000).unref();
    },
    '/pdf': (res) => {
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end('%PDF');
    },
  });
});
afterAll(() => pages.close());

async function refusal(url: string, extra: { allowHosts?: string[]; resolve?: ResolveHost } = {}): Promise<GenerationError> {
  const error = await safeFetch(url, { ...base, allowHosts: extra.allowHosts ?? [], ...(extra.resolve ? { resolve: extra.resolve } : {}) }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GenerationError);
  return error as GenerationError;
}

describe('address policy', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'linkLocal'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::7f00:1', 'ipv4Compatible'],
    ['64:ff9b::a00:1', 'rfc6052'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(blockedReason(address)).toBe(reason);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:93.184.215.14'])('allows public %s', (address) => {
    expect(blockedReason(address)).toBeNull();
  });
});

describe('safeFetch refuses internal addresses', () => {
  it.each([
    'http://127.0.0.1/',
    'http://localhost/',
    'http://[::1]/',
    'http://10.0.0.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://2130706433/',
    'http://0177.0.0.1/',
    'http://0x7f000001/',
    'http://[::ffff:7f00:1]/',
    'http://0.0.0.0/',
  ])('%s → source_blocked', async (url) => {
    const error = await refusal(url);
    expect(error.code).toBe('source_blocked');
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/only public internet addresses/);
  });

  it('refuses a public-looking name that resolves to a private address', async () => {
    const resolve: ResolveHost = async () => [{ address: '10.1.2.3', family: 4 }];
    const error = await refusal('http://news.example.com/story', { resolve });
    expect(error.code).toBe('source_blocked');
    expect(error.message).toContain('10.1.2.3');
  });

  it('refuses a name when any of its addresses is private', async () => {
    const resolve: ResolveHost = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '::1', family: 6 },
    ];
    expect((await refusal('http://mixed.example.com/', { resolve })).code).toBe('source_blocked');
  });

  it.each(['/to-metadata', '/to-localhost', '/to-private-name'])('refuses a redirect to an internal address (%s)', async (path) => {
    const resolve: ResolveHost = async (host) => (host === 'intranet.example.com' ? [{ address: '192.168.0.10', family: 4 }] : systemResolve(host));
    const error = await refusal(`${pages.origin}${path}`, { allowHosts: [pages.host], resolve });
    expect(error.code).toBe('source_blocked');
  });

  it('refuses other schemes and credentials', async () => {
    expect((await refusal('file:///etc/passwd')).code).toBe('source_blocked');
    expect((await refusal('http://user:pw@example.com/')).code).toBe('source_blocked');
  });

  it('refuses the local page server unless it is allow-listed (host:port)', async () => {
    expect((await refusal(`${pages.origin}/article`)).code).toBe('source_blocked');
    expect((await refusal(`${pages.origin}/article`, { allowHosts: ['127.0.0.1:1'] })).code).toBe('source_blocked');
    const page = await safeFetch(`${pages.origin}/to-self`, { ...base, allowHosts: [pages.host] });
    expect(page.body).toContain('Hello');
    expect(page.url).toBe(`${pages.origin}/article`);
  });
});

describe('safeFetch limits', () => {
  const allowed = () => ({ ...base, allowHosts: [pages.host] });
  it('caps redirects', async () => {
    const error = await safeFetch(`${pages.origin}/loop`, allowed()).catch((e: unknown) => e as GenerationError);
    expect(error).toMatchObject({ code: 'source_fetch_failed', message: expect.stringMatching(/redirects/) });
  });
  it('caps the size', async () => {
    const error = await safeFetch(`${pages.origin}/big`, allowed()).catch((e: unknown) => e as GenerationError);
    expect(error).toMatchObject({ code: 'source_too_large' });
  });
  it('times out', async () => {
    const started = Date.now();
    const error = await safeFetch(`${pages.origin}/slow`, { ...allowed(), timeoutMs: 300 }).catch((e: unknown) => e as GenerationError);
    expect(error).toMatchObject({ code: 'source_fetch_failed', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });
  it('refuses what is not a page, and reports HTTP errors', async () => {
    expect(await safeFetch(`${pages.origin}/pdf`, allowed()).catch((e: unknown) => e)).toMatchObject({ code: 'source_unreadable' });
    expect(await safeFetch(`${pages.origin}/missing`, allowed()).catch((e: unknown) => e)).toMatchObject({ code: 'source_fetch_failed', retryable: false });
  });
});
