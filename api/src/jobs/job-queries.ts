import { query, type PgPool } from '@opad/core/db/pg-pool';
import { JOB_COLUMNS, type JobRecord } from '@opad/core/db/records';

export async function findJob(pool: PgPool, id: string): Promise<JobRecord | null> {
  const { rows } = await query<JobRecord>(pool, { name: 'opad_job_find', text: `SELECT ${JOB_COLUMNS} FROM jobs WHERE id = $1`, values: [id] });
  return rows[0] ?? null;
}
