/**
 * `K=V,K=V` → settings for a benchmark's process (BENCH_ON_ENV, BENCH_OFF_ENV, BENCH_VARIANTS).
 * Split at each item's first '=' only: a value may hold one (`NODE_OPTIONS=--cpu-prof-dir=/tmp/p`).
 * An item that is not KEY=VALUE fails at once, naming `source`, not minutes later as an api that
 * never became ready.
 */
export function parseEnvList(list: string | undefined, source: string): Record<string, string> {
  return Object.fromEntries(
    (list ?? '').split(',').filter((kv) => kv.trim()).map((kv) => {
      const at = kv.indexOf('=');
      if (at < 1) throw new Error(`${source}: "${kv}" is not KEY=VALUE`);
      return [kv.slice(0, at).trim(), kv.slice(at + 1)];
    }),
  );
}
