import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { GENERATE_QUEUE } from '../queue.ts';
import { createRedis } from '../redis.ts';
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

/**
 * Deletes the keys under a test's queue prefix (`<prefix>:*`) at the end of the test, so that
 * runs do not pile up queues in a developer's Redis. A Redis that is gone (a fault test's own
 * server, stopped) is left alone: its keys went with it.
 */
export async function deletePrefixedKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  redis.on('error', () => undefined); // a refused connection is reported by connect() below
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } catch {
    // unreachable: nothing to clean
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/**
 * The generate queue's events under a test's own prefix, read from the stream's start ('0'), not
 * BullMQ's '$': its first XREAD goes out only after `waitUntilReady` resolves, and an event in
 * between would be lost. Attach the listeners, then await `waitUntilReady()`.
 */
export function testQueueEvents(prefix: string): QueueEvents {
  return new QueueEvents(GENERATE_QUEUE, { connection: createRedis(getRedisUrl(), 'worker'), prefix, lastEventId: '0' });
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
