/**
 * Production build of the Node services: each service's entry points and the telemetry preload,
 * bundled with esbuild into `<service>/dist` (ES modules, code splitting so the preload and the
 * app share one copy of core's modules). npm dependencies stay external — loaded from
 * node_modules as usual, which is also what lets the OpenTelemetry instrumentations patch them.
 *
 * Why: running the `.ts` sources directly makes Node load its TypeScript stripper and keep every
 * small module's source around — ~29 MB of RSS per process, measured on the api (idle 127 → 98 MB).
 * Development (`make dev`, Tilt, the tests) keeps running the sources; the images, Railway and
 * the benchmarks run `dist/` through each package's `start` script.
 *
 *   node scripts/build-services.ts            (api and worker)
 *   node scripts/build-services.ts api        (one service)
 */
import { build } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

/** Entry points per service: output name → source. */
const SERVICES = {
  api: { main: 'api/src/main.ts', migrate: 'api/src/migrate.ts', register: 'core/src/telemetry/register.ts' },
  worker: { main: 'worker/src/main.ts', register: 'core/src/telemetry/register.ts' },
} as const;
export type ServiceName = keyof typeof SERVICES;

function npmDependencies(): string[] {
  const names = new Set<string>();
  for (const workspace of ['core', 'api', 'worker']) {
    const pkg = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const name of Object.keys(pkg.dependencies ?? {})) if (!name.startsWith('@opad/')) names.add(name);
  }
  return [...names].flatMap((name) => [name, `${name}/*`]);
}

export async function buildService(name: ServiceName): Promise<void> {
  const outdir = join(root, name, 'dist');
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(SERVICES[name]).map(([out, src]) => [out, join(root, src)])),
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: npmDependencies(),
    // Readable stack traces without source maps (which would cost memory at run time).
    minify: false,
    keepNames: true,
    legalComments: 'none',
    // The repository tsconfig's "ES2023" target is for tsc; esbuild targets node24 above.
    logOverride: { 'tsconfig.json': 'silent' },
    logLevel: 'warning',
  });
}

/**
 * The Node arguments of a service's `start` script (`node <args>`): what the images and Railway
 * run, so the benchmarks and the end-to-end tests start the services exactly the same way.
 */
export function startArgs(name: ServiceName): string[] {
  const pkg = JSON.parse(readFileSync(join(root, name, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const [command, ...args] = pkg.scripts.start.split(/\s+/);
  if (command !== 'node') throw new Error(`unexpected start script in ${name}/package.json: ${pkg.scripts.start}`);
  return args;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain) {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((n) => !(n in SERVICES));
  if (unknown.length > 0) {
    process.stderr.write(`unknown service(s): ${unknown.join(', ')}; known: ${Object.keys(SERVICES).join(', ')}\n`);
    process.exit(2);
  }
  for (const name of (asked.length > 0 ? asked : Object.keys(SERVICES)) as ServiceName[]) {
    const started = performance.now();
    await buildService(name);
    process.stdout.write(`built ${name}/dist in ${Math.round(performance.now() - started)} ms\n`);
  }
}
