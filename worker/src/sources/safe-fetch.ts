import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { Agent, request } from 'undici';
import { GenerationError } from '@opad/core/errors';
import { blockedReason, isAllowListed, isIpLiteral } from './address-policy.ts';

/** Resolves a host name to its addresses; injectable so tests can make a name resolve anywhere. */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: ResolveHost = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface SafeFetchOptions {
  timeoutMs: number;
  maxBytes: number;
  /** `host` or `host:port` entries that skip the private-address check (tests, local demos). */
  allowHosts: readonly string[];
  resolve?: ResolveHost;
  signal?: AbortSignal;
  maxRedirects?: number;
}

export interface FetchedPage {
  url: string;
  contentType: string;
  body: string;
}

const ACCEPTED_TYPES = ['text/html', 'application/xhtml+xml', 'text/plain'];

class BlockedAddress extends Error {
  readonly host: string;
  readonly reason: string;
  constructor(host: string, address: string, reason: string) {
    super(`${host} resolves to ${address} (${reason})`);
    this.name = 'BlockedAddress';
    this.host = host;
    this.reason = reason;
  }
}

const blocked = (url: URL, detail: string) =>
  new GenerationError('source_blocked', `Refused to fetch ${url.origin}: ${detail}; only public internet addresses are allowed.`, {
    details: { url: url.href },
  });

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `net.connect` lookup that resolves, refuses the whole name when any of its addresses is not
 * public, and hands the checked addresses straight to the socket: the connection goes to the
 * address that was checked, so a second DNS answer (rebinding) never gets a say.
 */
function guardedLookup(resolve: ResolveHost) {
  return (hostname: string, options: { all?: boolean } | number, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        for (const a of addresses) {
          const reason = blockedReason(a.address);
          if (reason) return callback(new BlockedAddress(hostname, a.address, reason), '');
        }
        const first = addresses[0] as LookupAddress;
        if (typeof options === 'object' && options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (error: Error) => callback(error, ''),
    );
  };
}

function findCause<T extends Error>(error: unknown, type: new (...args: never[]) => T): T | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof type) return e;
  }
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function checkUrl(url: URL, allowHosts: readonly string[]): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw blocked(url, `${url.protocol} URLs are not fetched`);
  if (url.username || url.password) throw blocked(url, 'URLs with credentials are not fetched');
  if (isAllowListed(url, allowHosts)) return;
  // The WHATWG URL parser has already turned decimal (2130706433), octal (0177.0.0.1) and hex
  // forms into dotted quads, so one check covers every spelling of an address literal.
  if (isIpLiteral(url.hostname)) {
    const reason = blockedReason(url.hostname);
    if (reason) throw blocked(url, `${url.hostname} is a ${reason} address`);
  }
}

/**
 * GET a user-given URL safely: http(s) only; private, loopback, link-local, CGNAT, multicast and
 * metadata addresses refused after DNS resolution and again on every redirect (followed by hand,
 * at most `maxRedirects`); a timeout over the whole exchange and a byte cap on the body.
 */
export async function safeFetch(input: string, options: SafeFetchOptions): Promise<FetchedPage> {
  const resolve = options.resolve ?? systemResolve;
  const maxRedirects = options.maxRedirects ?? 5;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new GenerationError('source_fetch_failed', `Not a valid URL: ${input.slice(0, 200)}`);
  }

  for (let hop = 0; ; hop++) {
    checkUrl(url, options.allowHosts);
    const allowListed = isAllowListed(url, options.allowHosts);
    const agent = new Agent({
      connect: { lookup: allowListed ? undefined : (guardedLookup(resolve) as never), timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    try {
      let response: Awaited<ReturnType<typeof request>>;
      try {
        response = await request(url, {
          method: 'GET',
          dispatcher: agent,
          signal,
          headers: {
            'user-agent': 'OPAD/0.1 (+https://github.com/opad; reading material for language learners)',
            accept: 'text/html,application/xhtml+xml,text/plain;q=0.8',
          },
        });
      } catch (error) {
        const refused = findCause(error, BlockedAddress);
        if (refused) throw blocked(url, `${refused.message}`);
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        if (timeout.aborted) {
          throw new GenerationError('source_fetch_failed', `Fetching ${url.origin} took longer than ${options.timeoutMs} ms.`, { retryable: true, cause: error });
        }
        const code = errorCode(error);
        const transient = code !== 'ENOTFOUND';
        throw new GenerationError('source_fetch_failed', `Could not fetch ${url.origin}: ${code ?? (error as Error).message}.`, { retryable: transient, cause: error });
      }

      const { statusCode, headers, body } = response;
      if (statusCode >= 300 && statusCode < 400 && headers.location) {
        await body.dump();
        if (hop >= maxRedirects) throw new GenerationError('source_fetch_failed', `More than ${maxRedirects} redirects from ${input.slice(0, 200)}.`);
        url = new URL(String(headers.location), url);
        continue;
      }
      if (statusCode < 200 || statusCode >= 300) {
        await body.dump();
        throw new GenerationError('source_fetch_failed', `The source answered HTTP ${statusCode}.`, {
          retryable: statusCode === 429 || statusCode >= 500,
          details: { status: statusCode },
        });
      }
      const contentType = String(headers['content-type'] ?? 'text/html').toLowerCase();
      if (!ACCEPTED_TYPES.some((t) => contentType.startsWith(t))) {
        await body.dump();
        throw new GenerationError('source_unreadable', `The source is ${contentType.split(';')[0]}, not a web page.`);
      }
      const declared = Number(headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        body.destroy();
        throw tooLarge(options.maxBytes);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of body) {
          size += (chunk as Buffer).length;
          if (size > options.maxBytes) {
            body.destroy();
            throw tooLarge(options.maxBytes);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (error) {
        if (error instanceof GenerationError) throw error;
        if (options.signal?.aborted) throw options.signal.reason ?? error;
        throw new GenerationError('source_fetch_failed', `Reading ${url.origin} failed: ${(error as Error).message}.`, { retryable: true, cause: error });
      }
      const charset = /charset=([^;]+)/.exec(contentType)?.[1]?.trim().replace(/"/g, '') ?? 'utf-8';
      let text: string;
      try {
        text = new TextDecoder(charset).decode(Buffer.concat(chunks));
      } catch {
        text = new TextDecoder('utf-8').decode(Buffer.concat(chunks));
      }
      return { url: url.href, contentType, body: text };
    } finally {
      agent.close().catch(() => undefined);
    }
  }
}

const tooLarge = (maxBytes: number) =>
  new GenerationError('source_too_large', `The source page is larger than ${Math.round(maxBytes / 1024)} KiB.`);
