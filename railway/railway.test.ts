/**
 * Railway config as code (one file per service, set as each service's "config file path"):
 * Dockerfile builds, start commands equal to the image's tini + the package's start script,
 * migrations as the api's pre-deploy command, health checks, restart policy, the worker's
 * draining time at least its shutdown timeout, and watch patterns (gitignore-style, from the
 * repository root) that redeploy a service only for changes it is built from.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, matchesGlob, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
interface RailwayConfig {
  $schema: string;
  build: { builder: string; dockerfilePath: string; watchPatterns: string[] };
  deploy: {
    startCommand: string;
    preDeployCommand?: string[];
    healthcheckPath: string;
    healthcheckTimeout: number;
    restartPolicyType: string;
    restartPolicyMaxRetries: number;
    overlapSeconds: number;
    drainingSeconds: number;
  };
}
const load = (svc: string) => JSON.parse(readFileSync(join(ROOT, 'railway', `${svc}.json`), 'utf8')) as RailwayConfig;
const pkg = (svc: string) => JSON.parse(readFileSync(join(ROOT, svc, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

/** gitignore-style match of a repository path against Railway watch patterns ("!" negates). */
function watched(patterns: string[], file: string): boolean {
  let hit = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const p = (negate ? raw.slice(1) : raw).replace(/^\//, '');
    if (matchesGlob(file, p) || matchesGlob(file, `${p}/**`)) hit = !negate;
  }
  return hit;
}

const SERVICES = [
  { svc: 'api', health: '/readyz' },
  { svc: 'worker', health: '/readyz' },
  { svc: 'web', health: '/healthz' },
] as const;

describe.each(SERVICES)('railway/$svc.json', ({ svc, health }) => {
  const cfg = load(svc);

  it('builds the service Dockerfile from the repository root', () => {
    expect(cfg.$schema).toBe('https://railway.com/railway.schema.json');
    expect(cfg.build.builder).toBe('DOCKERFILE');
    expect(cfg.build.dockerfilePath).toBe(`${svc}/Dockerfile`);
    expect(existsSync(join(ROOT, cfg.build.dockerfilePath))).toBe(true);
  });

  it("starts tini + the package's start script (Railway's start command replaces the ENTRYPOINT)", () => {
    expect(cfg.deploy.startCommand).toBe(`/usr/bin/tini -- ${pkg(svc).scripts.start}`);
    // Exec form: no shell, so no $PORT in the command - the services read PORT themselves.
    expect(cfg.deploy.startCommand).not.toMatch(/\$/);
  });

  it('health-checks the service and restarts it on failure', () => {
    expect(cfg.deploy.healthcheckPath).toBe(health);
    expect(cfg.deploy.healthcheckTimeout).toBeGreaterThan(0);
    expect(cfg.deploy.restartPolicyType).toBe('ON_FAILURE');
    expect(cfg.deploy.restartPolicyMaxRetries).toBeGreaterThan(0);
    for (const k of ['healthcheckTimeout', 'restartPolicyMaxRetries', 'overlapSeconds', 'drainingSeconds'] as const) {
      expect(Number.isInteger(cfg.deploy[k]), `${k} is a JSON number`).toBe(true);
    }
  });

  it('redeploys on changes to its own sources, core and the lockfile only', () => {
    const p = cfg.build.watchPatterns;
    expect(watched(p, `${svc}/src/main.ts`) || watched(p, `${svc}/app/root.tsx`)).toBe(true);
    expect(watched(p, `${svc}/Dockerfile`)).toBe(true);
    expect(watched(p, 'core/src/config.ts')).toBe(true);
    expect(watched(p, 'package-lock.json')).toBe(true);
    expect(watched(p, `railway/${svc}.json`)).toBe(true);
    for (const other of SERVICES.map((s) => s.svc).filter((s) => s !== svc)) {
      expect(watched(p, `${other}/src/main.ts`), `${svc} ignores ${other}/`).toBe(false);
      expect(watched(p, `${other}/app/routes/_index.tsx`), `${svc} ignores ${other}/`).toBe(false);
      expect(watched(p, `railway/${other}.json`)).toBe(false);
    }
    expect(watched(p, 'docs/railway.md')).toBe(false);
    expect(watched(p, 'charts/api/values.yaml')).toBe(false);
  });
});

describe('service specifics', () => {
  it('api runs the migrations as its pre-deploy command', () => {
    const cfg = load('api');
    expect(cfg.deploy.preDeployCommand).toEqual(['npm run migrate']);
    expect(pkg('api').scripts.migrate).toMatch(/src\/migrate\.ts/);
    expect(load('worker').deploy.preDeployCommand).toBeUndefined();
    expect(load('web').deploy.preDeployCommand).toBeUndefined();
  });

  it('a change in web/ does not match the worker watch patterns', () => {
    expect(watched(load('worker').build.watchPatterns, 'web/app/root.tsx')).toBe(false);
    expect(watched(load('worker').build.watchPatterns, 'web/package.json')).toBe(false);
  });

  it("worker's draining time is at least its shutdown timeout (the longest job)", async () => {
    const { configSchema } = await import('../worker/src/config.ts');
    const shutdownMs = (configSchema.shape.WORKER_SHUTDOWN_TIMEOUT_MS.parse(undefined) as number);
    expect(shutdownMs).toBeGreaterThanOrEqual(600_000);
    expect(load('worker').deploy.drainingSeconds * 1000).toBeGreaterThanOrEqual(shutdownMs);
  });
});
