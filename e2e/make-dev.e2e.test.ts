/**
 * `make dev` as a new user meets it: `scripts/dev.ts` with nothing configured starts an embedded
 * Postgres, its own redis-server, the api, the worker and the web, prints a curl snippet that
 * works when pasted into a shell, and Ctrl-C stops all of it. State goes to a temp dir
 * (OPAD_STATE_DIR) and every port is a free one, so the run touches nothing of the machine's.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, waitFor } from '@opad/core/testing/ports';
import { postgresAnswers } from '@opad/core/probes';
import { articleMetaSchema } from '@opad/core/http-contract';

const root = resolve(import.meta.dirname, '..');

/** The variables a fresh shell would not have: the test run's own services and vitest's settings. */
function freshUserEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^(DATABASE_URL|REDIS_URL|S3_|R2_|OPENAI_|OTEL_|QUEUE_PREFIX|STORAGE_DIR|NODE_ENV|VITEST|TEST)/.test(key)) delete env[key];
  }
  return env;
}

describe('make dev (scripts/dev.ts) on embedded defaults', () => {
  let dev: ChildProcess;
  let stateDir: string;
  const output: string[] = [];
  const ports = { api: 0, web: 0, worker: 0, pg: 0, redis: 0 };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'opad-make-dev-'));
    // As root, embedded Postgres runs as a 'postgres' user, which must reach its data directory
    // (a checkout's .opad/ is reachable; mkdtemp's 0700 directory is not).
    await chmod(stateDir, 0o755);
    for (const name of Object.keys(ports) as Array<keyof typeof ports>) ports[name] = await freePort();
    dev = spawn(process.execPath, ['scripts/dev.ts'], {
      cwd: root,
      env: {
        ...freshUserEnv(),
        OPAD_STATE_DIR: stateDir,
        API_PORT: String(ports.api),
        WEB_PORT: String(ports.web),
        WORKER_HEALTH_PORT: String(ports.worker),
        PG_PORT: String(ports.pg),
        DEV_REDIS_PORT: String(ports.redis),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    dev.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await waitFor(() => dev.exitCode !== null || output.join('').includes('Ctrl-C stops everything'), 170_000, 'make dev to print its instructions', 250);
    if (dev.exitCode !== null) throw new Error(`make dev exited (${dev.exitCode}):\n${output.join('')}`);
  }, 180_000);

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill('SIGKILL');
    }
    await rm(stateDir, { recursive: true, force: true });
  });

  it('runs what it prints: the curl lines create and generate an article, and the web answers', async () => {
    const printed = output.join('');
    expect(printed).toContain(`embedded Postgres on 127.0.0.1:${ports.pg}`);
    expect(printed).toContain(`redis-server on 127.0.0.1:${ports.redis}`);
    expect(printed).toContain('generator: offline');
    // The snippet as a user would paste it, minus its last line (a fixed `sleep 2` before reading
    // the content): the test polls instead, and reads the id the snippet's first command made.
    const snippet = printed.slice(printed.indexOf('Try it from a shell:') + 'Try it from a shell:'.length, printed.indexOf('sleep 2;'));
    const shell = spawnSync('bash', ['-c', `${snippet}\necho "ARTICLE=$ID"`], { encoding: 'utf8' });
    expect(shell.status, shell.stderr).toBe(0);
    const jobId = /"jobId":"([0-9a-f-]{36})"/.exec(shell.stdout)?.[1];
    const id = /ARTICLE=([0-9a-f-]{36})/.exec(shell.stdout)?.[1];
    expect(jobId, shell.stdout).toBeDefined();
    expect(id, shell.stdout).toBeDefined();

    const api = `http://127.0.0.1:${ports.api}`;
    await waitFor(async () => (await fetch(`${api}/articles/${id}/content`)).status === 200, 30_000, 'the generated content', 250);
    const content = await (await fetch(`${api}/articles/${id}/content`)).text();
    expect(content).toContain('libraries');
    const meta = articleMetaSchema.parse(await (await fetch(`${api}/articles/${id}/meta`)).json());
    expect(meta).toMatchObject({ articleId: id, jobId, generator: 'offline' });

    const page = await fetch(`http://127.0.0.1:${ports.web}/articles`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('libraries');
  });

  it('stops everything on Ctrl-C (SIGINT): exit 0, no port left open', async () => {
    const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    const closed = async (port: number) => {
      try {
        await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
        return false;
      } catch {
        return true;
      }
    };
    for (const port of [ports.api, ports.web, ports.worker]) expect(await closed(port), `port ${port}`).toBe(true);
    expect(await postgresAnswers(`postgres://opad:opad@127.0.0.1:${ports.pg}/opad`)).toBe(false);
  });
});

describe('make dev needs no build output', () => {
  it('the api and worker dev scripts name only files that are in the repository', () => {
    const tracked = new Set(spawnSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).stdout.split('\n'));
    for (const workspace of ['api', 'worker']) {
      const pkg = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
      const files = (pkg.scripts.dev ?? '').split(/\s+/).filter((arg) => /\.(ts|js)$/.test(arg));
      expect(files.length, `${workspace} has a dev script`).toBeGreaterThan(0);
      for (const file of files) expect(tracked, `${workspace}: ${file}`).toContain(join(workspace, file));
    }
  });
});
