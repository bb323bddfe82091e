import { buildDependencies, helm } from './helm.ts';

/** Fetch helm once (cached in .tools/bin) and build the file:// chart dependencies once per run. */
export default function setup(): void {
  helm();
  buildDependencies();
}
