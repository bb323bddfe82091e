/**
 * Tracing's CPU per ingest request, split by what is switched on: one api process per variant
 * (started as in production: the bundle, its Node flags, the telemetry preload), all of them loaded
 * **at the same time** with `POST /articles/:id/generate` at the same fixed rate, and the CPU each
 * process used (`/proc/<pid>/stat`, user + system) divided by the requests it answered.
 *
 *   npx node bench/tracing-cpu.ts
 * Env: BENCH_RATE (requests a second per variant, default 1000), BENCH_SECONDS (default 8),
 * BENCH_ROUNDS (fresh processes each round, default 6), BENCH_CONNECTIONS (per variant, default 64),
 * BENCH_VARIANTS (other variants, for an A/B: `name:K=V,K=V;name:K=V…`, the first the baseline;
 * every variant gets always_on and the receiver unless its own settings say otherwise)
 *
 * Why beside bench/tracing-overhead.ts: that one measures the target (throughput lost at
 * saturation) but loads one side at a time, so the host's drift between slices is ±3 % of noise; a
 * fixed-rate probe that loads the variants one after another was ±10–15 µs a request. Loading them
 * together puts the same drift on every variant: each variant's difference to the untraced api then
 * moved by ~±5–10 µs between rounds. The rate is below saturation on purpose (five apis share
 * two cores): requests form smaller groups than at 64 saturating connections, so the absolute µs
 * are those of a lighter load — read the differences, and the throughput bench for the target.
 */
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../core/src/testing/database.ts';
import { freePort } from '../core/src/testing/ports.ts';
import { getRedisUrl, uniquePrefix } from '../core/src/testing/redis.ts';
import { startReceiverProcess } from './support/otlp-receiver-process.ts';
import { fmt, median, startWorkspace, type Service } from './support/process.ts';
import { createArticles } from './support/articles.ts';
import { parseEnvList } from './support/env-list.ts';
import { bootstrapMedianInterval } from './support/stats.ts';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const WARMUP_SECONDS = 3;

interface Variant {
  readonly name: string;
  readonly env: Record<string, string>;
}

/** `name:K=V,K=V;name:…` → variants (each list read as BENCH_ON_ENV's: support/env-list.ts). */
function parseVariants(spec: string): Variant[] {
  const variants = spec.split(';').filter((v) => v.trim()).map((item) => {
    const colon = item.indexOf(':');
    if (colon < 1) throw new Error(`BENCH_VARIANTS: "${item}" is not name:K=V,K=V`);
    const name = item.slice(0, colon).trim();
    return { name, env: parseEnvList(item.slice(colon + 1), `BENCH_VARIANTS (${name})`) };
  });
  if (variants.length < 2) throw new Error('BENCH_VARIANTS: give at least two variants (the first is the baseline)');
  return variants;
}

/** Each variant adds one thing to the one before it; the first is the baseline. */
const DEFAULT_VARIANTS: readonly Variant[] = [
  { name: 'tracing off (OTEL_SDK_DISABLED=true)', env: { OTEL_SDK_DISABLED: 'true' } },
  { name: 'SDK started, no instrumentation (OTEL_NODE_ENABLED_INSTRUMENTATIONS=none)', env: { OTEL_TRACES_SAMPLER: 'always_off', OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'none' } },
  { name: 'every instrumentation, nothing sampled (always_off)', env: { OTEL_TRACES_SAMPLER: 'always_off' } },
  { name: 'always_on, spans recorded, not exported (OTEL_TRACES_EXPORTER=none)', env: { OTEL_TRACES_EXPORTER: 'none' } },
  { name: 'always_on, OTLP/protobuf to a receiver (as shipped)', env: {} },
];
const VARIANTS = process.env.BENCH_VARIANTS ? parseVariants(process.env.BENCH_VARIANTS) : DEFAULT_VARIANTS;

/** /proc counts CPU time in clock ticks: µs per tick from the kernel's rate (100 a second on most). */
const MICROS_PER_TICK = 1_000_000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time the process has used (utime + stime, fields 14 and 15 of /proc/<pid>/stat), in µs. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * MICROS_PER_TICK;
}

const database = await createTestDatabase('bench_tracing_cpu');
const receiver = await startReceiverProcess();
const storageDir = await mkdtemp(join(tmpdir(), 'opad-bench-'));
// A fresh article for every request (createArticles says why).
const totalArticles = Math.ceil(RATE * (SECONDS + WARMUP_SECONDS) * ROUNDS * VARIANTS.length * 1.1);
process.stdout.write(`preparing ${totalArticles} articles… `);
const articleIds = await createArticles(database, totalArticles);
await database.db.sequelize.query('VACUUM (ANALYZE) articles');
process.stdout.write('done\n');
let next = 0;

const common = {
  DATABASE_URL: database.url,
  REDIS_URL: getRedisUrl(),
  STORAGE_DIR: storageDir,
  LOG_LEVEL: 'warn',
  RATE_LIMIT_WRITES_PER_MINUTE: '0',
  OTEL_TRACES_SAMPLER: 'always_on',
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
};

async function load(port: number, seconds: number) {
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    overallRate: RATE,
    requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: `/articles/${articleIds[next++ % articleIds.length]}/generate` }) }],
  });
}

const perRequest = VARIANTS.map(() => [] as number[]);
let failures = 0;
for (let round = 0; round < ROUNDS; round++) {
  const apis: Array<{ port: number; service: Service }> = [];
  for (const variant of VARIANTS) {
    const port = await freePort();
    const service = await startWorkspace('api', { ...common, ...variant.env, QUEUE_PREFIX: uniquePrefix('bench-cpu'), PORT: String(port), OTEL_SERVICE_NAME: 'opad-api-bench' }, `http://127.0.0.1:${port}/readyz`);
    apis.push({ port, service });
  }
  await Promise.all(apis.map((api) => load(api.port, WARMUP_SECONDS)));
  const before = apis.map((api) => cpuMicros(api.service.child.pid!));
  const results = await Promise.all(apis.map((api) => load(api.port, SECONDS)));
  const after = apis.map((api) => cpuMicros(api.service.child.pid!));
  await Promise.all(apis.map((api) => api.service.stop()));
  const line = results.map((result, i) => {
    failures += result.errors + result.non2xx;
    const us = (after[i]! - before[i]!) / result.requests.total;
    perRequest[i]!.push(us);
    return fmt(us);
  });
  const answered = results.map((result) => Math.round(result.requests.average)).join(' / ');
  process.stdout.write(`round ${round + 1}/${ROUNDS}: ${line.join(' / ')} µs a request (${answered} req/s)\n`);
}
const exported = await receiver.stats();
await receiver.close();
await database.drop();
await rm(storageDir, { recursive: true, force: true });

const base = perRequest[0]!;
console.log(`\ntracing CPU per ingest request — ${VARIANTS.length} apis loaded together, ${RATE} req/s each, ${CONNECTIONS} connections, ${SECONDS} s × ${ROUNDS} rounds, Node ${process.version}`);
console.log('| api | µs/request (median) | − baseline, round by round (µs) | median difference (90% bootstrap interval) |');
console.log('|---|---:|---|---:|');
VARIANTS.forEach((variant, i) => {
  const diffs = perRequest[i]!.map((us, r) => us - base[r]!);
  console.log(`| ${variant.name} | ${fmt(median(perRequest[i]!))} | ${i === 0 ? '—' : diffs.map((d) => fmt(d)).join(', ')} | ${i === 0 ? '—' : `${fmt(median(diffs))} (${bootstrapMedianInterval(diffs).map((d) => fmt(d)).join(' to ')})`} |`);
});
console.log(`\nexport requests the receiver took in: ${exported.requests} (${fmt(exported.bytes / 1e6)} MB)`);
// The default list's last variant must really have exported, or its row would be another
// unexported one; variants from BENCH_VARIANTS may all leave the exporter off (always_off A/Bs).
const exportMissing = VARIANTS === DEFAULT_VARIANTS && exported.requests === 0;
if (exportMissing) console.log('nothing was exported: the last row did not measure the export');
if (failures > 0) console.log(`${failures} requests failed or were answered with a non-2xx status: the figures above are not comparable`);
process.exit(failures > 0 || exportMissing ? 1 : 0);
