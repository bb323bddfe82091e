/**
 * Autoscaler simulation: one load trace (bursts, quiet periods, a trickle, mixed job
 * lengths) replayed through real BullMQ on real Redis, in the same run, into two queues:
 * one scaled by our QueueScaler controller (the real controller, talking to the simulated
 * Kubernetes API through @kubernetes/client-node), one by a KEDA-equivalent policy (Redis
 * list scaler on `wait`, 30 s polling, 300 s cooldown, HPA default behavior). Worker pods are
 * simulated in-process: each Pod becomes a BullMQ Worker after a start delay and stops
 * gracefully (finish the job in hand, SIGKILL after the grace period).
 *
 * Time is compressed BENCH_TIME_SCALE× (default 10: the 1500 s trace runs in ~2.5 min);
 * every setting of both policies and of the pods is given in simulated seconds and scaled.
 *
 *   npx node bench/autoscaler-sim.ts         (make bench runs it)
 *
 * Prints the figures, writes docs/autoscaler-sim.png and the figures block of docs/autoscaler.md.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { getRedisUrl, uniquePrefix } from '../core/src/testing/redis.ts';
import { Autoscaler } from '../autoscaler/src/autoscaler.ts';
import { Kube } from '../autoscaler/src/kube.ts';
import { readQueueDepth } from '../autoscaler/src/queue-depth.ts';
import { FakeKubeApi } from '../autoscaler/src/testing/fake-kube-api.ts';
import { renderChart } from './autoscaler/chart.ts';
import { startKedaPolicy } from './autoscaler/keda-policy.ts';
import { PodSimulator } from './autoscaler/sim-pods.ts';
import { SCALE, realMs, resetClock, simNow, sleepSim } from './autoscaler/sim-clock.ts';
import { BURSTS, TRACE_SECONDS, TRICKLE, buildTrace } from './autoscaler/trace.ts';

const root = resolve(import.meta.dirname, '..');
const NS = 'bench';
const MAX_REPLICAS = 40;
const JOBS_PER_REPLICA = 1;
const POD_START_SECONDS = 5;
const GRACE_SECONDS = 30; // Kubernetes' default terminationGracePeriodSeconds
const redisUrl = getRedisUrl();

type PolicyName = 'opad' | 'keda';
const POLICIES: PolicyName[] = ['opad', 'keda'];
const LABEL: Record<PolicyName, string> = { opad: 'QueueScaler (ours)', keda: 'KEDA-equivalent' };

const api = new FakeKubeApi();
await api.start();
const redis = new Redis(redisUrl);
const prefixes: Record<PolicyName, string> = { opad: uniquePrefix('bench-opad'), keda: uniquePrefix('bench-keda') };
const queues = {} as Record<PolicyName, Queue>;
const sims = {} as Record<PolicyName, PodSimulator>;
for (const p of POLICIES) {
  api.createDeployment(NS, `worker-${p}`, 0, { app: `worker-${p}` });
  queues[p] = new Queue('generate', { prefix: prefixes[p], connection: { url: redisUrl } });
  sims[p] = new PodSimulator(api, {
    deployment: `worker-${p}`,
    queuePrefix: prefixes[p],
    redisUrl,
    startDelaySeconds: POD_START_SECONDS,
    gracePeriodSeconds: GRACE_SECONDS,
  });
}

// Our controller, with its defaults written out in simulated seconds.
const ourSpec = {
  targetRef: { name: 'worker-opad' },
  queue: { name: 'generate', prefix: prefixes.opad },
  jobsPerReplica: JOBS_PER_REPLICA,
  minReplicas: 0,
  maxReplicas: MAX_REPLICAS,
  pollingIntervalSeconds: 5 / SCALE,
  cooldownSeconds: 60 / SCALE,
  behavior: { scaleDown: { stabilizationWindowSeconds: 30 / SCALE } },
};
api.apply('opad.dev/v1alpha1/queuescalers', {
  apiVersion: 'opad.dev/v1alpha1',
  kind: 'QueueScaler',
  metadata: { name: 'worker-opad', namespace: NS },
  spec: ourSpec,
});

const replicaHistory: Record<PolicyName, [number, number][]> = { opad: [[0, 0]], keda: [[0, 0]] };
api.on('scaled', (_ns, name, replicas) => {
  const p = name.replace('worker-', '') as PolicyName;
  const h = replicaHistory[p];
  if (h && h.at(-1)?.[1] !== replicas) h.push([simNow(), replicas]);
});

const trace = buildTrace();
const enqueuedAt: Record<PolicyName, Map<string, number>> = { opad: new Map(), keda: new Map() };
const samples: Record<PolicyName, { t: number; demand: number; waiting: number; pods: number }[]> = { opad: [], keda: [] };

console.log(
  `autoscaler-sim: ${trace.length} jobs over ${TRACE_SECONDS} s simulated, time ×${SCALE} (≈${Math.round(TRACE_SECONDS / SCALE)} s real); ` +
    `pods start in ${POD_START_SECONDS} s, grace ${GRACE_SECONDS} s, max ${MAX_REPLICAS} replicas, ${JOBS_PER_REPLICA} job/replica`,
);

resetClock();
const autoscaler = new Autoscaler({
  kubeConfig: api.kubeConfig('opad'),
  log: pino({ level: process.env.BENCH_LOG ?? 'silent' }),
  identity: 'bench',
  namespaces: [NS],
  defaultRedisUrl: redisUrl,
  eventDebounceMs: Math.max(1, Math.round(200 / SCALE)),
});
autoscaler.start();
const stopKeda = startKedaPolicy({
  kube: new Kube(api.kubeConfig('keda'), 'keda'),
  redis,
  namespace: NS,
  deployment: 'worker-keda',
  listKey: `${prefixes.keda}:generate:wait`,
  jobsPerReplica: JOBS_PER_REPLICA,
  maxReplicas: MAX_REPLICAS,
});

const timers: NodeJS.Timeout[] = [];
for (const job of trace) {
  timers.push(
    setTimeout(() => {
      for (const p of POLICIES) {
        enqueuedAt[p].set(job.id, simNow());
        void queues[p].add('generate', { duration: job.duration }, { jobId: job.id, attempts: 20 });
      }
    }, realMs(job.at)),
  );
}
const sampler = setInterval(() => {
  void (async () => {
    const t = simNow();
    for (const p of POLICIES) {
      const d = await readQueueDepth(redis, { prefix: prefixes[p], name: 'generate' });
      samples[p].push({ t, demand: d.waiting + d.prioritized + d.active, waiting: d.waiting + d.prioritized, pods: sims[p].livePods() });
    }
  })();
}, realMs(2));

// Run the trace, then until every job is done (both policies), with a safety cap.
await sleepSim(TRACE_SECONDS);
while (POLICIES.some((p) => sims[p].completed.size < trace.length) && simNow() < TRACE_SECONDS + 600) await sleepSim(5);
const end = simNow();
clearInterval(sampler);
stopKeda();
for (const t of timers) clearTimeout(t);
await autoscaler.stop();
for (const p of POLICIES) await sims[p].stopAll();

// ---- figures ----
function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

interface Figures {
  timeToScale: { burst: string; seconds: number; reached: boolean; peak: number }[];
  timeToScaleMean: number;
  waitP50: number;
  waitP95: number;
  waitMax: number;
  replicaSeconds: number;
  interrupted: number;
  completed: number;
}

function figures(p: PolicyName): Figures {
  // From a burst's first job until the Deployment has the replicas the burst needs
  // (min(max, jobs / jobsPerReplica)); 0 when it already had them. A policy that never gets
  // there is timed to the highest count it does reach in that burst's window (`peak`).
  const timeToScale = BURSTS.map((burst, i) => {
    const target = Math.min(MAX_REPLICAS, Math.ceil(burst.size / JOBS_PER_REPLICA));
    const windowEnd = BURSTS[i + 1]?.at ?? end;
    const before = [...replicaHistory[p]].reverse().find(([t]) => t <= burst.at)?.[1] ?? 0;
    if (before >= target) return { burst: burst.name, seconds: 0, reached: true, peak: before };
    const inWindow = replicaHistory[p].filter(([t]) => t >= burst.at && t < windowEnd);
    const hit = inWindow.find(([, r]) => r >= target);
    if (hit) return { burst: burst.name, seconds: hit[0] - burst.at, reached: true, peak: target };
    const peak = Math.max(before, ...inWindow.map(([, r]) => r));
    const atPeak = inWindow.find(([, r]) => r >= peak);
    return { burst: burst.name, seconds: atPeak ? atPeak[0] - burst.at : 0, reached: false, peak };
  });
  const waits: number[] = [];
  for (const job of trace) {
    const started = sims[p].started.get(job.id);
    const queued = enqueuedAt[p].get(job.id);
    if (started !== undefined && queued !== undefined) waits.push(started - queued);
  }
  return {
    timeToScale,
    timeToScaleMean: timeToScale.reduce((s, x) => s + x.seconds, 0) / timeToScale.length,
    waitP50: percentile(waits, 0.5),
    waitP95: percentile(waits, 0.95),
    waitMax: Math.max(...waits),
    replicaSeconds: sims[p].replicaSeconds(end),
    interrupted: sims[p].interrupted,
    completed: sims[p].completed.size,
  };
}

const ours = figures('opad');
const keda = figures('keda');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.POSITIVE_INFINITY);
const ttsRatio = ratio(keda.timeToScaleMean, ours.timeToScaleMean);
const p95Ratio = ratio(keda.waitP95, ours.waitP95);
const costRatio = ratio(ours.replicaSeconds, keda.replicaSeconds);
const pass = {
  timeToScale: ttsRatio >= 5,
  waitP95: p95Ratio >= 5,
  cost: ours.replicaSeconds <= keda.replicaSeconds,
  interrupted: ours.interrupted === 0,
};

const rows: [string, string, string, string][] = [
  ['metric', LABEL.opad, LABEL.keda, 'KEDA / ours'],
  ...BURSTS.map((b, i): [string, string, string, string] => {
    const o = ours.timeToScale[i]!;
    const k = keda.timeToScale[i]!;
    const cell = (x: Figures['timeToScale'][number]) => `${f1(x.seconds)} s${x.reached ? '' : ` (never; peak ${x.peak})`}`;
    return [
      `time-to-scale, burst ${b.name} (${b.size} jobs at ${b.at} s) → ${Math.min(MAX_REPLICAS, b.size)} replicas`,
      cell(o),
      cell(k),
      o.seconds > 0 && k.seconds > 0 ? `${f1(ratio(k.seconds, o.seconds))}×` : '—',
    ];
  }),
  ['time-to-scale, mean of the bursts', `${f1(ours.timeToScaleMean)} s`, `${f1(keda.timeToScaleMean)} s`, `${f1(ttsRatio)}×`],
  ['job wait p50', `${f1(ours.waitP50)} s`, `${f1(keda.waitP50)} s`, `${f1(ratio(keda.waitP50, ours.waitP50))}×`],
  ['job wait p95', `${f1(ours.waitP95)} s`, `${f1(keda.waitP95)} s`, `${f1(p95Ratio)}×`],
  ['job wait max', `${f1(ours.waitMax)} s`, `${f1(keda.waitMax)} s`, `${f1(ratio(keda.waitMax, ours.waitMax))}×`],
  ['replica-seconds (cost)', `${Math.round(ours.replicaSeconds)}`, `${Math.round(keda.replicaSeconds)}`, `ours = ${f1(costRatio * 100)} % of KEDA's`],
  ['jobs interrupted by a scale-in', `${ours.interrupted}`, `${keda.interrupted}`, ''],
  ['jobs completed', `${ours.completed}/${trace.length}`, `${keda.completed}/${trace.length}`, ''],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
console.log('');
for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
console.log('');
console.log(
  `targets: time-to-scale ≥5× ${pass.timeToScale ? 'PASS' : 'FAIL'} (${f1(ttsRatio)}×), wait p95 ≥5× ${pass.waitP95 ? 'PASS' : 'FAIL'} (${f1(p95Ratio)}×), ` +
    `replica-seconds ≤ KEDA ${pass.cost ? 'PASS' : 'FAIL'}, 0 interrupted ${pass.interrupted ? 'PASS' : 'FAIL'}`,
);

// ---- picture ----
const markers = BURSTS.map((b) => ({ x: b.at, label: `${b.name}: ${b.size} jobs` }));
const { png } = renderChart(
  `Autoscaler simulation: one trace, two policies (${trace.length} jobs, time ×${SCALE})`,
  Math.ceil(end / 100) * 100,
  [
    {
      title: 'Replicas',
      yLabel: 'replicas',
      markers,
      series: [
        { label: 'demand (wait+active)', color: '#9e9e9e', width: 1.5, points: samples.opad.map((s) => [s.t, s.demand]) },
        { label: LABEL.opad, color: '#1565c0', width: 2.5, points: [...replicaHistory.opad, [end, replicaHistory.opad.at(-1)![1]]] },
        { label: LABEL.keda, color: '#e65100', width: 2.5, dash: '7,4', points: [...replicaHistory.keda, [end, replicaHistory.keda.at(-1)![1]]] },
      ],
    },
    {
      title: 'Jobs waiting for a worker (not started)',
      yLabel: 'jobs waiting',
      markers,
      series: [
        { label: LABEL.opad, color: '#1565c0', width: 2, points: samples.opad.map((s) => [s.t, s.waiting]) },
        { label: LABEL.keda, color: '#e65100', width: 2, dash: '7,4', points: samples.keda.map((s) => [s.t, s.waiting]) },
      ],
    },
  ],
);
await writeFile(resolve(root, 'docs/autoscaler-sim.png'), png);

// ---- figures into docs/autoscaler.md (between the markers) ----
const block = [
  '<!-- bench:autoscaler-sim:start (written by `npx node bench/autoscaler-sim.ts`) -->',
  `Run of ${new Date().toISOString().slice(0, 10)}: ${trace.length} jobs (bursts ${BURSTS.map((b) => `${b.name}=${b.size}@${b.at}s`).join(', ')}; ` +
    `a trickle of one job per ~${TRICKLE.every} s from ${TRICKLE.from} s to ${TRICKLE.to} s), ${TRACE_SECONDS} s simulated at ×${SCALE}; ` +
    `pods start in ${POD_START_SECONDS} s, grace period ${GRACE_SECONDS} s, max ${MAX_REPLICAS} replicas.`,
  '',
  `| ${rows[0]!.join(' | ')} |`,
  `| ${rows[0]!.map(() => '---').join(' | ')} |`,
  ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`),
  '',
  `Targets: time-to-scale ≥ 5× — ${pass.timeToScale ? 'met' : 'missed'} (${f1(ttsRatio)}×); wait p95 ≥ 5× — ${pass.waitP95 ? 'met' : 'missed'} (${f1(p95Ratio)}×); ` +
    `replica-seconds ≤ KEDA's — ${pass.cost ? 'met' : 'missed'} (${f1(costRatio * 100)} %); 0 jobs interrupted — ${pass.interrupted ? 'met' : 'missed'} (${ours.interrupted}).`,
  '<!-- bench:autoscaler-sim:end -->',
].join('\n');
const docPath = resolve(root, 'docs/autoscaler.md');
const doc = await readFile(docPath, 'utf8').catch(() => '');
const re = /<!-- bench:autoscaler-sim:start[\s\S]*?<!-- bench:autoscaler-sim:end -->/;
if (re.test(doc)) await writeFile(docPath, doc.replace(re, block));
else console.log('\n(docs/autoscaler.md has no bench markers; figures not written there)');
await mkdir(resolve(root, 'bench/results'), { recursive: true });
await writeFile(resolve(root, 'bench/results/autoscaler-sim.json'), JSON.stringify({ ours, keda, ttsRatio, p95Ratio, costRatio, replicaHistory, samples }, null, 1));

for (const p of POLICIES) {
  await queues[p].obliterate({ force: true }).catch(() => undefined);
  await queues[p].close();
}
redis.disconnect();
await api.stop();
console.log('wrote docs/autoscaler-sim.png');
process.exit(pass.timeToScale && pass.waitP95 && pass.cost && pass.interrupted ? 0 : 1);
