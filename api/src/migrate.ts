/**
 * `npm run migrate -w @opad/api`: applies pending database migrations and exits. Run as the
 * Helm pre-install/pre-upgrade hook Job and Railway's pre-deploy command; safe to run twice and
 * concurrently (an advisory lock serialises migrators).
 */
import { z } from 'zod';
import { databaseUrl, loadConfigOrExit } from '@opad/core/config';
import { migrateUp } from '@opad/core/db/migrate';
import { createLogger } from '@opad/core/logger';

const config = loadConfigOrExit(z.object({ DATABASE_URL: databaseUrl }), 'migrate');
const log = createLogger('migrate');
try {
  const applied = await migrateUp(config.DATABASE_URL);
  log.info({ applied }, applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date');
} catch (error) {
  log.fatal({ err: error }, 'migration failed');
  process.exitCode = 1;
}
