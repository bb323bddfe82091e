import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { freePort } from './ports.ts';
import { redisAnswers, waitFor } from '../probes.ts';

export { redisAnswers };

/** The Redis the test run uses: chosen once by global-setup (REDIS_URL, the local one, or a started one). */
export function getRedisUrl(): string {
  return process.env.OPAD_TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A queue prefix of its own per test, so runs and files never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}


export interface RedisServerHandle {
  readonly url: string;
  readonly port: number;
  /** SIGTERM and wait: the server (and its data; nothing is persisted) is gone. */
  stop(): Promise<void>;
  /** Start again on the same port (a fresh, empty server). */
  start(): Promise<void>;
}

/**
 * A private `redis-server` on a free port, for fault tests that stop and restart it without
 * touching the machine's Redis.
 */
export async function startRedisServer(): Promise<RedisServerHandle> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const spawnError = new Promise<never>((_, reject) =>
      child?.once('error', (e) => reject(new Error(`could not start redis-server (is it installed? apt-get install redis-server): ${e.message}`))),
    );
    await Promise.race([waitFor(() => redisAnswers(url), 5_000, `redis-server on ${port}`), spawnError]);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return { url, port, start, stop };
}
