import type { Migration } from '../migrate.ts';

export const up: Migration = async ({ context: sql }) => {
  await sql.query(`
    CREATE TABLE articles (
      id            uuid PRIMARY KEY,
      owner_id      uuid NULL,
      source_url    text NULL,
      source_title  text NULL,
      source_text   text NULL,
      topic         text NULL,
      language      varchar(8)  NOT NULL,
      level         varchar(2)  NOT NULL CHECK (level IN ('A1','A2','B1','B2','C1','C2')),
      target_words  integer     NOT NULL CHECK (target_words > 0),
      status        varchar(16) NOT NULL DEFAULT 'draft' CHECK (status IN ('draft','generating','ready','failed')),
      title         text NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      updated_at    timestamptz NOT NULL DEFAULT now(),
      deleted_at    timestamptz NULL
    )`);
  // Keyset pagination walks (created_at, id) newest first over live rows.
  await sql.query(`CREATE INDEX articles_live_newest ON articles (created_at DESC, id DESC) WHERE deleted_at IS NULL`);
  await sql.query(`
    CREATE TABLE jobs (
      id             uuid PRIMARY KEY,
      article_id     uuid NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
      status         varchar(16) NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','running','succeeded','failed')),
      progress       integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
      stage          varchar(16) NULL,
      attempts       integer NOT NULL DEFAULT 0,
      result_ref     text NULL,
      error_code     varchar(64) NULL,
      error_message  text NULL,
      input_tokens   integer NOT NULL DEFAULT 0,
      output_tokens  integer NOT NULL DEFAULT 0,
      trace_context  jsonb NULL,
      created_at     timestamptz NOT NULL DEFAULT now(),
      updated_at     timestamptz NOT NULL DEFAULT now(),
      started_at     timestamptz NULL,
      finished_at    timestamptz NULL
    )`);
  // At most one active job per article, enforced by the database: concurrent Generate clicks
  // race on this index and all but one get the existing job back.
  await sql.query(`CREATE UNIQUE INDEX jobs_one_active_per_article ON jobs (article_id) WHERE status IN ('queued','running')`);
  await sql.query(`CREATE INDEX jobs_article_newest ON jobs (article_id, created_at DESC)`);
  // The sweeper looks for queued rows that never reached the queue.
  await sql.query(`CREATE INDEX jobs_queued_oldest ON jobs (created_at) WHERE status = 'queued'`);
};

export const down: Migration = async ({ context: sql }) => {
  await sql.query('DROP TABLE IF EXISTS jobs');
  await sql.query('DROP TABLE IF EXISTS articles');
};
