// The load trace: bursts, quiet periods, a trickle, mixed job lengths. Deterministic (seeded).
export interface TraceJob {
  id: string;
  /** simulated seconds from the start */
  at: number;
  /** processing time, simulated seconds */
  duration: number;
  burst: string | undefined;
}

export interface Burst {
  name: string;
  at: number;
  size: number;
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const BURSTS: Burst[] = [
  { name: 'A', at: 60, size: 30 },
  { name: 'B', at: 420, size: 20 },
  { name: 'C', at: 900, size: 40 },
  { name: 'D', at: 1260, size: 15 },
];
export const TRICKLE = { from: 100, to: 700, every: 25 };
export const TRACE_SECONDS = 1500;

export function buildTrace(seed = 42): TraceJob[] {
  const random = mulberry32(seed);
  // 70 % short jobs (5–20 s), 30 % long ones (40–90 s: longer than a 30 s grace period)
  const duration = () => (random() < 0.7 ? 5 + random() * 15 : 40 + random() * 50);
  const jobs: TraceJob[] = [];
  let n = 0;
  for (const burst of BURSTS) {
    for (let i = 0; i < burst.size; i += 1) {
      // a burst arrives over ~2 s
      jobs.push({ id: `j${(n += 1)}`, at: burst.at + random() * 2, duration: duration(), burst: burst.name });
    }
  }
  for (let t = TRICKLE.from; t < TRICKLE.to; t += TRICKLE.every) {
    jobs.push({ id: `j${(n += 1)}`, at: t + random() * 10, duration: duration(), burst: undefined });
  }
  return jobs.sort((a, b) => a.at - b.at);
}
