import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpMetrics, type HttpMetrics } from './metrics.ts';

interface Served {
  readonly metrics: HttpMetrics;
  readonly url: string;
  /** Listeners on each response's `finish` and `close` when the route answered. */
  readonly listeners: Array<{ finish: number; close: number }>;
  readonly server: Server;
}

async function serve(): Promise<Served> {
  const metrics = createHttpMetrics();
  const listeners: Served['listeners'] = [];
  const app = express();
  app.use(metrics.middleware);
  app.post('/articles/:id/generate', (_req, res) => {
    listeners.push({ finish: res.listenerCount('finish'), close: res.listenerCount('close') });
    res.status(202).json({ ok: true });
  });
  app.get('/slow', (_req, res) => void setTimeout(() => res.json({}), 60));
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { metrics, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, listeners, server };
}

/** `http_request_duration_seconds` count and sum per label set, from the registry's own JSON. */
async function durations(metrics: HttpMetrics): Promise<Map<string, { count: number; sum: number }>> {
  const all = await metrics.registry.getMetricsAsJSON();
  const histogram = all.find((m) => m.name === 'http_request_duration_seconds');
  const out = new Map<string, { count: number; sum: number }>();
  for (const v of (histogram?.values ?? []) as Array<{ metricName?: string; labels: Record<string, string | number>; value: number }>) {
    const key = `${v.labels.method} ${v.labels.route} ${v.labels.status}`;
    const entry = out.get(key) ?? { count: 0, sum: 0 };
    if (v.metricName === 'http_request_duration_seconds_count') entry.count = v.value;
    else if (v.metricName === 'http_request_duration_seconds_sum') entry.sum = v.value;
    else continue;
    out.set(key, entry);
  }
  return out;
}

let a: Served;
let b: Served;
beforeAll(async () => {
  a = await serve();
  b = await serve();
});
afterAll(async () => {
  for (const s of [a, b]) await new Promise((resolve) => s.server.close(resolve));
});

describe('request duration metrics', () => {
  it('counts each request once, by method, route template and status, in the app that served it', async () => {
    for (const id of ['1', '2', '3']) expect((await fetch(`${a.url}/articles/${id}/generate`, { method: 'POST' })).status).toBe(202);
    expect((await fetch(`${a.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${b.url}/articles/9/generate`, { method: 'POST' })).status).toBe(202);

    const inA = await durations(a.metrics);
    expect(inA.get('POST /articles/:id/generate 202')?.count).toBe(3);
    expect(inA.get('GET unmatched 404')?.count).toBe(1);
    expect((await durations(b.metrics)).get('POST /articles/:id/generate 202')?.count).toBe(1);
  });

  it('measures from the middleware to the end of the response', async () => {
    await fetch(`${a.url}/slow`);
    const slow = (await durations(a.metrics)).get('GET /slow 200');
    expect(slow?.count).toBe(1);
    expect(slow!.sum).toBeGreaterThanOrEqual(0.05);
    expect(slow!.sum).toBeLessThan(2);
  });

  it('adds no listener to the response (Node keeps its own one on finish)', async () => {
    // A second `finish` listener makes each response's listeners an array from an allocation
    // site every emitter shares, which V8 may start allocating in the old generation (metrics.ts).
    await fetch(`${a.url}/articles/5/generate`, { method: 'POST' });
    expect(a.listeners.at(-1)).toEqual({ finish: 1, close: 0 });
  });
});
