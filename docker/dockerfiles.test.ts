/**
 * Static checks of the service images (no Docker engine runs here, so the images are not built
 * in CI): each Dockerfile is parsed with dockerfile-ast and held to the rules of issue 4 -
 * pinned Node 24 base, production dependencies only, non-root USER, tini as PID 1 forwarding
 * SIGTERM, the start command equal to the package's `start` script, no HEALTHCHECK, no secrets
 * in ENV/ARG, and every COPY source present in the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const SERVICES = [
  { name: 'api', workspace: '@opad/api', port: 8080 },
  { name: 'worker', workspace: '@opad/worker', port: 9464 },
  { name: 'web', workspace: '@opad/web', port: 3000 },
] as const;
const NODE_PIN = /^24\.\d+\.\d+-bookworm-slim$/;
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|API_KEY|ACCESS_KEY|DATABASE_URL|REDIS_URL|CREDENTIAL/i;

interface Stage { name: string | null; from: string; instructions: Instruction[] }

function stages(text: string): Stage[] {
  const out: Stage[] = [];
  for (const ins of DockerfileParser.parse(text).getInstructions()) {
    if (ins.getKeyword() === 'FROM') {
      const args = ins.getArguments().map((a) => a.getValue());
      const as = args.findIndex((a) => a.toUpperCase() === 'AS');
      out.push({ name: as >= 0 ? args[as + 1]! : null, from: args[0]!, instructions: [] });
    } else out.at(-1)?.instructions.push(ins);
  }
  return out;
}
const jsonArgs = (ins: Instruction) => JSON.parse(ins.getArgumentsContent() ?? '[]') as string[];
/** The value of COPY --from=..., if any (flags are not part of the arguments in dockerfile-ast). */
const copyFrom = (ins: Instruction) =>
  (ins as unknown as { getFlags(): { getName(): string; getValue(): string | null }[] }).getFlags().find((f) => f.getName() === 'from')?.getValue() ?? null;
const argv = (ins: Instruction) => ins.getArguments().map((a) => a.getValue());
const of = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.getKeyword() === keyword);
/** Instructions of a stage and of the stages it is built FROM (ENV, USER, ENTRYPOINT are inherited). */
function lineage(all: Stage[], stage: Stage): Stage[] {
  const parent = all.find((s) => s.name === stage.from);
  return parent ? [...lineage(all, parent), stage] : [stage];
}
const lastOf = (chain: Stage[], keyword: string) => chain.flatMap((s) => of(s, keyword)).at(-1);

describe.each(SERVICES)('$name/Dockerfile', ({ name, workspace, port }) => {
  const text = readFileSync(join(ROOT, name, 'Dockerfile'), 'utf8');
  const all = stages(text);
  const final = all.at(-1)!;
  const chain = lineage(all, final);
  const pkg = JSON.parse(readFileSync(join(ROOT, name, 'package.json'), 'utf8')) as { name: string; scripts: Record<string, string> };

  it('builds FROM an exactly pinned Node 24 image (or an earlier stage)', () => {
    const external = all.filter((s) => !all.some((o) => o.name === s.from));
    expect(external.length).toBeGreaterThan(0);
    for (const s of external) {
      const [image, tag] = s.from.split('@')[0]!.split(':');
      expect(image).toBe('node');
      expect(tag, `${s.from} is pinned to an exact version`).toMatch(NODE_PIN);
    }
    expect(text).toMatch(/@sha256:<digest>/); // the comment that says how to pin the digest
  });

  it('runs as a non-root user in the final stage', () => {
    const user = lastOf(chain, 'USER');
    expect(user, 'USER in the final image').toBeTruthy();
    const value = user!.getArgumentsContent()!.split(':')[0]!;
    expect(['root', '0']).not.toContain(value);
    expect(value).toBe('node'); // uid 1000, matched by runAsUser: 1000 in the charts
  });

  it('has tini as PID 1 (signals reach node: SIGTERM starts the graceful close)', () => {
    expect(jsonArgs(lastOf(chain, 'ENTRYPOINT')!)).toEqual(['/usr/bin/tini', '--']);
    const installs = chain.flatMap((s) => of(s, 'RUN')).map((r) => r.getArgumentsContent() ?? '');
    expect(installs.some((r) => /apt-get install[^&]*\btini\b/.test(r))).toBe(true);
  });

  it("starts with the package's start script, in the workspace directory", () => {
    const cmd = lastOf(chain, 'CMD')!;
    expect(cmd.getArgumentsContent()!.trim().startsWith('['), 'CMD in exec (JSON) form').toBe(true);
    expect(jsonArgs(cmd).join(' ')).toBe(pkg.scripts.start);
    expect(lastOf(chain, 'WORKDIR')!.getArgumentsContent()).toBe(`/app/${name}`);
    expect(pkg.name).toBe(workspace);
  });

  it('installs production dependencies only, for its own workspace and core', () => {
    const deps = all.find((s) => of(final, 'COPY').some((c) => copyFrom(c) === s.name && argv(c).join(' ') === '/app ./'));
    expect(deps, 'the final stage copies /app from a dependency stage').toBeTruthy();
    const ci = of(deps!, 'RUN').map((r) => r.getArgumentsContent() ?? '').find((r) => r.includes('npm ci'));
    expect(ci).toMatch(/--omit=dev/);
    expect(ci).toMatch(new RegExp(`--workspace ${workspace}\\b`));
    expect(ci).toMatch(/--workspace @opad\/core\b/);
    expect(ci).toMatch(/--include-workspace-root=false/);
    expect(ci).toMatch(/--ignore-scripts/);
  });

  it('has no HEALTHCHECK (Kubernetes probes do that) and no secrets in ENV or ARG', () => {
    expect(all.flatMap((s) => of(s, 'HEALTHCHECK'))).toHaveLength(0);
    for (const s of all) {
      for (const ins of [...of(s, 'ENV'), ...of(s, 'ARG')]) {
        const names = (ins as unknown as { getProperties(): { getName(): string }[] }).getProperties().map((p) => p.getName());
        for (const n of names) expect(n, `${ins.getKeyword()} ${n}`).not.toMatch(SECRET_NAME);
      }
    }
  });

  it('exposes the port the chart probes', () => {
    expect(lastOf(chain, 'EXPOSE')!.getArgumentsContent()).toBe(String(port));
    const values = parseYaml(readFileSync(join(ROOT, 'charts', name, 'values.yaml'), 'utf8')) as { containerPort: number };
    expect(values.containerPort).toBe(port);
  });

  it('copies only paths that exist in the repository', () => {
    for (const s of all) {
      for (const copy of of(s, 'COPY')) {
        if (copyFrom(copy)) continue;
        const args = argv(copy);
        for (const src of args.slice(0, -1)) if (src !== '.') expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
      }
    }
  });

  if (name === 'web') {
    it('builds the Remix app in a build stage and ships only its output', () => {
      expect(pkg.scripts.build).toMatch(/^(NODE_ENV=production )?remix vite:build$/);
      const build = all.find((s) => s.name === 'build')!;
      expect(of(build, 'RUN').some((r) => /npm run build --workspace @opad\/web/.test(r.getArgumentsContent() ?? ''))).toBe(true);
      expect(of(final, 'COPY').some((c) => copyFrom(c) === 'build' && argv(c).join(' ') === '/app/web/build web/build')).toBe(true);
    });
  }
});

describe('.dockerignore', () => {
  it('keeps dependencies, VCS data, local state and env files out of the build context', () => {
    const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '.git', '**/.env', '**/.env.*', '.tools', '.opad', '**/build']) expect(lines).toContain(entry);
  });
});
