import { Sequelize } from 'sequelize';
import { Umzug, SequelizeStorage, type MigrationFn } from 'umzug';
import * as m0001 from './migrations/0001-create-articles-and-jobs.ts';

export type Migration = MigrationFn<Sequelize>;

/** Versioned migrations, in order. Add new ones at the end; never edit one that has shipped. */
const MIGRATIONS: ReadonlyArray<{ name: string; up: Migration; down: Migration }> = [
  { name: '0001-create-articles-and-jobs', ...m0001 },
];

/** A fixed advisory-lock key so concurrent migrators (two api pods, a hook Job) run one at a time. */
const MIGRATION_LOCK_KEY = 4_242_001;

/**
 * Runs on one dedicated connection (pool of one): the session-level advisory lock and each
 * migration's BEGIN/COMMIT must all happen on the same Postgres session.
 */
async function withMigrationSession<T>(databaseUrl: string, run: (sequelize: Sequelize) => Promise<T>): Promise<T> {
  const sequelize = new Sequelize(databaseUrl, {
    dialect: 'postgres',
    logging: false,
    pool: { max: 1, min: 1, idle: 600_000, acquire: 60_000 },
  });
  try {
    await sequelize.query('SELECT pg_advisory_lock(:key)', { replacements: { key: MIGRATION_LOCK_KEY } });
    return await run(sequelize);
  } finally {
    await sequelize.query('SELECT pg_advisory_unlock(:key)', { replacements: { key: MIGRATION_LOCK_KEY } }).catch(() => undefined);
    await sequelize.close();
  }
}

function createMigrator(sequelize: Sequelize) {
  const transactional = (fn: Migration): Migration => async (params) => {
    await sequelize.query('BEGIN');
    try {
      await fn(params);
      await sequelize.query('COMMIT');
    } catch (error) {
      await sequelize.query('ROLLBACK');
      throw error;
    }
  };
  return new Umzug<Sequelize>({
    migrations: MIGRATIONS.map((m) => ({ name: m.name, up: transactional(m.up), down: transactional(m.down) })),
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'schema_migrations' }),
    logger: undefined,
  });
}

/** Applies pending migrations; returns the names applied (empty when up to date). */
export async function migrateUp(databaseUrl: string): Promise<string[]> {
  return withMigrationSession(databaseUrl, async (sequelize) => (await createMigrator(sequelize).up()).map((m) => m.name));
}

export async function migrateDown(databaseUrl: string, to: string | 0 = 0): Promise<string[]> {
  return withMigrationSession(databaseUrl, async (sequelize) => (await createMigrator(sequelize).down({ to })).map((m) => m.name));
}

export async function pendingMigrations(databaseUrl: string): Promise<string[]> {
  return withMigrationSession(databaseUrl, async (sequelize) => (await createMigrator(sequelize).pending()).map((m) => m.name));
}
