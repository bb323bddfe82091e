import { median } from './process.ts';

/**
 * A bootstrap interval for the median of a benchmark's per-round figures: the rounds resampled
 * with replacement, the median of each resample, the middle `confidence` of those medians.
 *
 * Why: on this project's shared 2-core machines one run's median moves by several points between
 * runs of the same code (the tracing benchmark gave 20.5 % and then 6.8 % loss, back to back), so
 * a figure without its spread reads as more certain than it is. The interval says how far the
 * rounds of this run let the median move; it cannot show drift that lasts a whole run.
 * Seeded, so the same rounds always print the same interval.
 */
export function bootstrapMedianInterval(values: readonly number[], options: { resamples?: number; confidence?: number; seed?: number } = {}): [number, number] {
  if (values.length === 0) throw new Error('bootstrapMedianInterval: no values');
  const resamples = options.resamples ?? 10_000;
  const confidence = options.confidence ?? 0.9;
  const random = mulberry32(options.seed ?? 1);
  const medians = new Float64Array(resamples);
  const sample = new Array<number>(values.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < values.length; i++) sample[i] = values[Math.floor(random() * values.length)]!;
    medians[r] = median(sample);
  }
  medians.sort();
  const tail = (1 - confidence) / 2;
  return [medians[Math.floor(tail * (resamples - 1))]!, medians[Math.ceil((1 - tail) * (resamples - 1))]!];
}

/** A small seeded PRNG (Mulberry32): reproducible resampling, not cryptography. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
