import { randomUUID } from 'node:crypto';
import pg from 'pg';
export { postgresAnswers } from '../probes.ts';
import { connectDatabase, type Database } from '../db/connect.ts';
import { migrateUp } from '../db/migrate.ts';

/** The server the test run uses, chosen by global-setup: DATABASE_URL, the local one, or embedded. */
export function getAdminDatabaseUrl(): string {
  return process.env.OPAD_TEST_ADMIN_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}


export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  readonly db: Database;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own; `drop()` closes the pool and removes it. */
export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const admin = getAdminDatabaseUrl();
  const name = `opad_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = withDatabaseName(admin, name);
  await migrateUp(url);
  const db = connectDatabase(url);
  return {
    url,
    name,
    db,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
