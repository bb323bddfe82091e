/**
 * Tracing overhead: ingest throughput of POST /articles/:id/generate through the real api,
 * started as in production (its start script: the bundle in dist/ with the telemetry preload), with
 * tracing on (always_on sampler, every span exported over OTLP/HTTP protobuf to a local
 * receiver that counts it) beside tracing off (OTEL_SDK_DISABLED=true), in one run: each round a
 * fresh pair of api processes on the same Postgres and Redis, reset to the same state (no jobs,
 * empty queues), warmed up, then loaded in turn in ABBA slices (which side leads alternates);
 * medians and round-by-round losses compared.
 *
 *   npx node bench/tracing-overhead.ts
 * Env: BENCH_SECONDS (per side and round, default 8), BENCH_SLICES (ABBA slices a round, default 4), BENCH_ROUNDS (default 10: fewer cannot tell 10 % from 13 % on a shared machine, docs/BENCHMARKS.md), BENCH_CONNECTIONS (default 64, as bench/ingest.ts);
 * BENCH_ON_ENV / BENCH_OFF_ENV (`K=V,K=V`: settings added to one side, to split the cost into A/Bs of one run)
 * Target: ≤ 10% fewer requests per second with tracing on.
 */
import autocannon from 'autocannon';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../core/src/testing/database.ts';
import { freePort } from '../core/src/testing/ports.ts';
import { getRedisUrl, uniquePrefix } from '../core/src/testing/redis.ts';
import { createRedis } from '../core/src/redis.ts';
import { createGenerateQueue } from '../core/src/queue.ts';
import { startReceiverProcess } from './support/otlp-receiver-process.ts';
import { fmt, median, startWorkspace } from './support/process.ts';
import { createArticles } from './support/articles.ts';
import { parseEnvList } from './support/env-list.ts';
import { bootstrapMedianInterval } from './support/stats.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
// Each side's seconds of a round are cut into slices loaded in ABBA order (off on on off …): the
// host's drift within a round (other tenants, Postgres's background work) then falls on both sides
// alike instead of on whichever went second.
const SLICES = Math.max(1, Number(process.env.BENCH_SLICES ?? 4));

interface Api {
  readonly port: number;
  rssMb(): number;
  stop(): Promise<void>;
}

/** The api exactly as its start script runs it (its Node flags, the telemetry preload, the bundle). */
async function startApi(name: string, env: Record<string, string>): Promise<Api> {
  const port = await freePort();
  const api = await startWorkspace('api', { ...env, PORT: String(port), OTEL_SERVICE_NAME: name }, `http://127.0.0.1:${port}/readyz`);
  return { port, rssMb: () => api.rssMb(), stop: () => api.stop() };
}

// BENCH_ON_ENV="OTEL_TRACES_EXPORTER=none,…" adds settings to the traced side, BENCH_OFF_ENV to the
// other (OTEL_SDK_DISABLED=false there makes an A/B of two traced variants): to split the cost.
const onExtra = parseEnvList(process.env.BENCH_ON_ENV, 'BENCH_ON_ENV');
const offExtra = parseEnvList(process.env.BENCH_OFF_ENV, 'BENCH_OFF_ENV');

const t0 = Date.now();
const database = await createTestDatabase('bench_tracing');
const redisUrl = getRedisUrl();
const storageDir = await mkdtemp(join(tmpdir(), 'opad-bench-'));
// The receiver counts what arrives and decodes nothing: its CPU would otherwise be charged to the
// traced side on this machine (a collector runs elsewhere in production). It runs in a process of
// its own, as a collector does: in this one it shared autocannon's event loop, and each export it
// took in delayed the load generator, on the traced side only.
const receiver = await startReceiverProcess({ decode: process.env.BENCH_DECODE === 'true' });

// A fresh article for every request of a round, up to ~12 000 req/s per side: a repeated id
// answers "already active" without an insert or an enqueue, which is cheaper and would flatter
// the faster side. Every round starts from the same state (resetState below), so one round's
// articles serve them all.
const WARMUP_SECONDS = 3;
const totalArticles = 2 * 12_000 * (SECONDS + WARMUP_SECONDS);
process.stdout.write(`preparing ${totalArticles} articles… `);
const articleIds = await createArticles(database, totalArticles);
// Settle what the bulk insert left for Postgres to do in the background (autovacuum of the new
// rows, a checkpoint of their pages): otherwise it lands in the first rounds, on whichever side
// happens to be loaded then (seen: a first round at 42 % loss, the rest at 6–13 %).
await database.db.sequelize.query('VACUUM (ANALYZE) articles');
await database.db.sequelize.query('CHECKPOINT').catch(() => undefined); // superuser only
process.stdout.write(`done (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
let next = 0;

const common = { DATABASE_URL: database.url, REDIS_URL: redisUrl, STORAGE_DIR: storageDir, LOG_LEVEL: 'warn', RATE_LIMIT_WRITES_PER_MINUTE: '0' };
const prefixes = { off: uniquePrefix('bench-otel-off'), on: uniquePrefix('bench-otel-on') };
// Both sides get the traced side's settings; the untraced one has the SDK disabled, so they are
// read only when BENCH_OFF_ENV turns it on there (then the two sides differ by BENCH_*_ENV alone).
const tracing = { OTEL_TRACES_SAMPLER: 'always_on', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' };
const envs = {
  off: { ...common, ...tracing, QUEUE_PREFIX: prefixes.off, OTEL_SDK_DISABLED: 'true', ...offExtra },
  on: { ...common, ...tracing, QUEUE_PREFIX: prefixes.on, OTEL_SDK_DISABLED: 'false', ...onExtra },
};
const idle = { off: 0, on: 0 };
const peak = { off: 0, on: 0 };

/**
 * Back to the state the first round found: no jobs in Postgres, empty queues, the articles fresh
 * again, so that every round measures the same api. Without it each round ran on the backlog of
 * the ones before (~90 000 more job rows and queue entries a round per side; Redis at ~650 MB by
 * the tenth), and the articles for all rounds took ~150 s to prepare instead of ~20. (The host's
 * own drift stays: in 10-round runs the untraced api went 6 200 → 2 900 req/s without the reset
 * and 4 500 → 6 000 with it; the ABBA slices are for that.)
 */
const benchRedis = createRedis(redisUrl, 'producer');
async function resetState(): Promise<void> {
  for (const prefix of Object.values(prefixes)) {
    const queue = createGenerateQueue(benchRedis, prefix);
    await queue.obliterate({ force: true, count: 5_000 });
    await queue.close();
  }
  await database.db.sequelize.query('TRUNCATE jobs');
  await database.db.sequelize.query('CHECKPOINT').catch(() => undefined); // superuser only
  next = 0;
}

interface Round { rps: number; p50: number; p99: number; errors: number; non2xx: number }

async function load(api: Api, side: 'off' | 'on', seconds = SECONDS): Promise<Round> {
  const sampler = setInterval(() => (peak[side] = Math.max(peak[side], api.rssMb())), 250);
  const result = await autocannon({
    url: `http://127.0.0.1:${api.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: `/articles/${articleIds[next++ % articleIds.length]}/generate` }) }],
  });
  clearInterval(sampler);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** A round from its equal-length slices: requests over the whole time; latencies the slices' median. */
function combine(slices: Round[]): Round {
  const sum = (f: (r: Round) => number) => slices.reduce((a, r) => a + f(r), 0);
  return { rps: sum((r) => r.rps) / slices.length, p50: median(slices.map((r) => r.p50)), p99: median(slices.map((r) => r.p99)), errors: sum((r) => r.errors), non2xx: sum((r) => r.non2xx) };
}

const rounds = { off: [] as Round[], on: [] as Round[] };
const roundArticles: number[] = []; // articles a round used (warm-ups included), at most articleIds.length
// What the receiver got while the traced side was measured (not its warm-ups; a batch still
// pending at the end of a round is flushed after it, so these undercount by at most one batch).
let exportedBytes = 0;
let exportedSpans = 0; // counted only with BENCH_DECODE=true
for (let round = 0; round < ROUNDS; round++) {
  // A fresh pair of processes every round: one process can run several per cent faster or slower
  // than another started the same way (JIT and heap history), for as long as it lives, which a
  // single pair would carry into every round as if it were tracing's doing.
  const off = await startApi('opad-api-bench-off', envs.off);
  const on = await startApi('opad-api-bench-on', envs.on);
  idle.off = Math.max(idle.off, off.rssMb());
  idle.on = Math.max(idle.on, on.rssMb());
  // warm-up (JIT, pools), not counted
  await load(off, 'off', WARMUP_SECONDS);
  await load(on, 'on', WARMUP_SECONDS);
  // ABBA slices (off on on off …), and which side leads alternates between rounds, so that drift
  // (autovacuum, Redis memory, the host) hits both alike.
  const slices = { off: [] as Round[], on: [] as Round[] };
  const lead: Array<'off' | 'on'> = round % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (let slice = 0; slice < SLICES; slice++) {
    for (const side of slice % 2 === 0 ? lead : [...lead].reverse()) {
      const before = await receiver.stats();
      slices[side].push(await load(side === 'off' ? off : on, side, SECONDS / SLICES));
      if (side === 'on') {
        const after = await receiver.stats();
        exportedBytes += after.bytes - before.bytes;
        exportedSpans += after.spans - before.spans;
      }
    }
  }
  rounds.off.push(combine(slices.off));
  rounds.on.push(combine(slices.on));
  await off.stop();
  await on.stop();
  roundArticles.push(next);
  await resetState();
  const loss = (1 - rounds.on.at(-1)!.rps / rounds.off.at(-1)!.rps) * 100;
  process.stdout.write(`round ${round + 1}/${ROUNDS}: off ${fmt(rounds.off.at(-1)!.rps, 0)} req/s, on ${fmt(rounds.on.at(-1)!.rps, 0)} req/s (${fmt(loss)}%)\n`);
}
const onRequests = rounds.on.reduce((a, r) => a + r.rps * SECONDS, 0);
const losses = rounds.on.map((r, i) => (1 - r.rps / rounds.off[i]!.rps) * 100);

/** What a side ran with: tracing off, or its sampler and export, plus the settings BENCH_*_ENV added. */
function sideLabel(env: Record<string, string>, extra: Record<string, string>): string {
  const base = env.OTEL_SDK_DISABLED === 'true' ? 'tracing off (OTEL_SDK_DISABLED=true)' : `tracing on (${env.OTEL_TRACES_SAMPLER}, OTLP/protobuf to a receiver)`;
  const added = Object.entries(extra).filter(([k]) => !['OTEL_SDK_DISABLED', 'OTEL_TRACES_SAMPLER'].includes(k));
  return added.length > 0 ? `${base} + ${added.map(([k, v]) => `${k}=${v}`).join(', ')}` : base;
}
const row = (label: string, rs: Round[]) =>
  `| ${label} | ${fmt(median(rs.map((r) => r.rps)), 0)} | ${fmt(median(rs.map((r) => r.p50)))} | ${fmt(median(rs.map((r) => r.p99)))} | ${rs.reduce((a, r) => a + r.errors, 0)} | ${rs.reduce((a, r) => a + r.non2xx, 0)} |`;
// How far this run's rounds let the median loss move (stats.ts): the figure is not more certain than that.
const lossInterval = bootstrapMedianInterval(losses);
const offRps = median(rounds.off.map((r) => r.rps));
const onRps = median(rounds.on.map((r) => r.rps));
console.log(`
tracing overhead: POST /articles/:id/generate — ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds in ${SLICES} ABBA slices (medians), Node ${process.version}
| api                                                  | req/s | p50 ms | p99 ms | errors | non-2xx |
|------------------------------------------------------|------:|-------:|-------:|-------:|--------:|
${row(sideLabel(envs.off, offExtra), rounds.off)}
${row(sideLabel(envs.on, onExtra), rounds.on)}

throughput loss with tracing on: ${fmt((1 - onRps / offRps) * 100)}% between the medians; round by round ${losses.map((l) => fmt(l)).join(', ')}% (median ${fmt(median(losses))}%, 90% bootstrap interval ${lossInterval.map((l) => fmt(l)).join('–')}%)   (target ≤ 10%)
export requests: ${(await receiver.stats()).requests}; while the traced side was measured ${fmt(exportedBytes / 1024 / 1024)} MB (${fmt(exportedBytes / Math.max(1, onRequests), 0)} bytes per request)${exportedSpans ? `, ${exportedSpans} spans` : ''}
fresh articles: at most ${Math.max(...roundArticles)} of ${articleIds.length} used in a round${Math.max(...roundArticles) > articleIds.length ? '  <-- the pool wrapped: figures invalid' : ''}
api RSS idle / peak: off ${fmt(idle.off, 0)} / ${fmt(peak.off, 0)} MB, on ${fmt(idle.on, 0)} / ${fmt(peak.on, 0)} MB   (target ≤ 150 MB)
`);

benchRedis.disconnect();
await receiver.close();
await database.drop();
await rm(storageDir, { recursive: true, force: true });
process.exit(0);
