// Simulated time: the run is compressed SCALE× (1 real second = SCALE simulated seconds).
export const SCALE = Number(process.env.BENCH_TIME_SCALE ?? 10);

let t0 = Date.now();

export function resetClock(): void {
  t0 = Date.now();
}

/** simulated seconds since the start */
export function simNow(): number {
  return ((Date.now() - t0) * SCALE) / 1000;
}

/** real milliseconds for a simulated duration in seconds */
export function realMs(simSeconds: number): number {
  return (simSeconds * 1000) / SCALE;
}

export const sleepSim = (simSeconds: number) => new Promise<void>((r) => setTimeout(r, realMs(simSeconds)));
