/**
 * Web render benchmark: the server render of `/articles` with 50 items (loader → api client →
 * zod parse of the list → React SSR of the whole page), in process through Remix's request
 * handler on the production build, against a stand-in api (a real HTTP server in memory, so
 * only the web is measured). Beside it, two floors on the same run:
 *   - `/healthz` through the same handler: Remix routing with no loader call and no render;
 *   - a bare `renderToString` of a static list of 50 items: React's own cost for that much markup.
 * Target: p95 ≤ 50 ms for `/articles` (issue 3).
 *
 *   npm run build -w @opad/web && npx node bench/web-render.ts
 * Env: BENCH_REQUESTS (measured requests per line, default 500), BENCH_WARMUP (default 50)
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createElement as h } from 'react';
import { renderToString } from 'react-dom/server';
import { createRequestHandler, type ServerBuild } from '@remix-run/node';
import { startFakeApi } from '../web/test/fake-api.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 50);
const ITEMS = 50;
const buildPath = resolve(import.meta.dirname, '../web/build/server/index.js');
if (!existsSync(buildPath)) {
  process.stderr.write('web/build is missing: run `npm run build -w @opad/web` first\n');
  process.exit(1);
}

const api = await startFakeApi();
const languages = ['en', 'de', 'es', 'fr', 'ko'] as const;
const levels = ['A1', 'A2', 'B1', 'B2', 'C1', 'C2'] as const;
for (let i = 0; i < ITEMS + 10; i++) {
  api.seedArticle({
    title: `Article number ${i}: the city council votes on new public libraries`,
    language: languages[i % languages.length],
    level: levels[i % levels.length],
    status: i % 7 === 0 ? 'failed' : 'ready',
  });
}

process.env.API_BASE_URL = api.url;
process.env.LOG_LEVEL = 'silent';
process.env.NODE_ENV = 'production';
const build = (await import(pathToFileURL(buildPath).href)) as ServerBuild;
const handler = createRequestHandler(build, 'production');

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(name: string, run: () => Promise<number>): Promise<{ name: string; p50: number; p95: number; p99: number; bytes: number }> {
  let bytes = 0;
  for (let i = 0; i < WARMUP; i++) bytes = await run();
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    bytes = await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { name, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), bytes };
}

const viaRemix = (path: string) => async () => {
  const res = await handler(new Request(`http://web${path}`));
  if (!res.ok) throw new Error(`${path} answered ${res.status}`);
  const html = await res.text();
  return html.length;
};

// Check the page really has the 50 items before timing it.
const check = await (await handler(new Request(`http://web/articles?limit=${ITEMS}`))).text();
const shown = check.match(/class="article-card"/g)?.length ?? 0;
if (shown !== ITEMS) throw new Error(`expected ${ITEMS} items on the page, found ${shown}`);

const staticList = () =>
  h(
    'ul',
    { className: 'article-list' },
    Array.from({ length: ITEMS }, (_, i) =>
      h(
        'li',
        { key: i, className: 'article-card' },
        h('a', { href: `/articles/${i}` }, `Article number ${i}: the city council votes on new public libraries`),
        h('span', { className: 'badges' }, h('span', { className: 'badge' }, 'B1'), h('span', { className: 'badge' }, 'English'), h('span', { className: 'badge' }, 'Ready')),
      ),
    ),
  );

const results = [
  await measure(`/articles, ${ITEMS} items (Remix SSR + api call)`, viaRemix(`/articles?limit=${ITEMS}`)),
  await measure('floor: /healthz through Remix', viaRemix('/healthz')),
  await measure(`floor: renderToString of ${ITEMS} static items`, async () => renderToString(staticList()).length),
];
await api.close();

process.stdout.write(`\nweb render, ${REQUESTS} sequential requests per line (after ${WARMUP} warm-up), Node ${process.version}\n\n`);
process.stdout.write(`${'what'.padEnd(52)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'bytes'.padStart(8)}\n`);
for (const r of results) {
  process.stdout.write(`${r.name.padEnd(52)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)} ${r.p99.toFixed(2).padStart(8)} ${String(r.bytes).padStart(8)}\n`);
}
const p95 = results[0]!.p95;
process.stdout.write(`\n/articles p95 ${p95.toFixed(1)} ms — target ≤ 50 ms: ${p95 <= 50 ? 'met' : 'NOT met'}\n`);
