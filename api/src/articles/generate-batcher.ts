import { randomUUID } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { JobStatus } from '@opad/core/domain';
import { query, type PgPool } from '@opad/core/db/pg-pool';
import { enqueueGenerate, GENERATE_QUEUE, type GenerateJobData } from '@opad/core/queue';
import { activeSpanContext, withBatchPublishSpan, type SpanContext } from '@opad/core/telemetry/tracing';
import type { Redis } from '@opad/core/redis';
import type { Logger } from '@opad/core/logger';

export type JobRef = { id: string; status: JobStatus; trace_context: Record<string, string> | null };

export type GenerateRowResult =
  | { kind: 'missing' }
  /** `enqueueError`: why the queue entry could not be added before the answer (null: it was, or follows). */
  | { kind: 'created'; jobId: string; enqueueError: unknown }
  | { kind: 'active'; job: JobRef }
  | { kind: 'raced' };

/**
 * Ingest is the hot path, so concurrent generate requests are grouped ("group commit"): while
 * a statement is in flight, new requests wait and go together in the next one. Each group is
 * one SQL statement (atomic by itself), instead of a round trip per request, and then one
 * `queue.add` per created job, all sent at once. Not `addBulk`: it wraps the group in one
 * MULTI/EXEC transaction through an ioredis pipeline, which costs the api more CPU than the round
 * trips it saves (A/B on bench/ingest.ts: 135 → 113 µs per request, +9 % req/s), and one job's
 * entry has no reason to depend on another's. Under light load a group is a single request and
 * nothing waits.
 *
 * A request is answered once its row is committed: the row is the job (DESIGN: the database is
 * the source of truth), the queue entry its delivery — a transactional outbox. While the queue's
 * connection is up, the group's queue entries are added right after the answers (+15 % req/s in
 * an A/B run: the answer no longer waits for Redis); one whose add fails stays a queued row that
 * the worker's sweeper enqueues within seconds, so it still runs exactly once. While the
 * connection is down, or when `maxBackgroundEnqueues` groups are already being added (so a slow
 * Redis cannot pile up work in the api), the answer waits for the adds, and a failed add answers
 * 503 with the job id.
 *
 * The two stages overlap: once a group's statement has committed, the next group's statement
 * starts while this group's jobs are on their way to Redis. One statement is in flight at a
 * time, so groups are as large as the load makes them: two at a time made smaller groups and
 * cost 3–21 % of the throughput (two A/B runs on bench/ingest.ts at 64 connections; api CPU per
 * request 114 → 88 and 102 → 95 µs), and 16 % once answers stopped waiting for Redis. A statement
 * that stalls (a lock, a slow disk) must not hold up everyone else, though: once the one in
 * flight is older than `stallMs`, the next group may start beside it, up to `maxInFlight`.
 *
 * Per request the statement answers: does the article exist (live)? is a job already active?
 * else it inserts the job (the unique partial index settles races). Requests for the same
 * article within one group share one answer. It leaves the article row alone: readers derive
 * `generating` from the active job (serialize.ts), and the worker stores it when the job starts.
 * Marking the article here as well was half of the statement's Postgres time (a row lock from the
 * foreign key, then a new row version) and cost 11–13 % of ingest req/s (two A/B runs). The lookups are
 * LATERAL so that each one is an index probe per requested article whatever the plan: a
 * semi-join over all active jobs grows with the backlog, exactly when ingest must stay fast.
 */
const BATCH_SQL = `
WITH req AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::jsonb[]) AS r(article_id, job_id, trace)
), article AS (
  SELECT a.id FROM req JOIN LATERAL (
    SELECT id FROM articles WHERE id = req.article_id AND deleted_at IS NULL
  ) a ON true
), active AS (
  SELECT req.article_id, j.id, j.status, j.trace_context FROM req JOIN LATERAL (
    SELECT id, status, trace_context FROM jobs
    WHERE jobs.article_id = req.article_id AND jobs.status IN ('queued', 'running') LIMIT 1
  ) j ON true
), inserted AS (
  INSERT INTO jobs (id, article_id, trace_context)
  SELECT req.job_id, req.article_id, req.trace FROM req JOIN article ON article.id = req.article_id
  WHERE NOT EXISTS (SELECT 1 FROM active WHERE active.article_id = req.article_id)
  ON CONFLICT (article_id) WHERE status IN ('queued', 'running') DO NOTHING
  RETURNING id, article_id
)
SELECT req.article_id,
       article.id IS NOT NULL AS article_exists,
       i.id AS inserted_id,
       CASE WHEN act.id IS NULL THEN NULL
            ELSE json_build_object('id', act.id, 'status', act.status, 'trace_context', act.trace_context) END AS active
FROM req
LEFT JOIN article ON article.id = req.article_id
LEFT JOIN inserted i ON i.article_id = req.article_id
LEFT JOIN active act ON act.article_id = req.article_id`;

type Row = { article_id: string; article_exists: boolean; inserted_id: string | null; active: JobRef | null };

interface Pending {
  articleId: string;
  jobId: string;
  trace: Record<string, string>;
  /** The first request's span ids: the batch's publish span links to them (see activeSpanContext). */
  requestSpan: SpanContext | undefined;
  waiters: Array<{ resolve: (r: GenerateRowResult) => void; reject: (e: unknown) => void; first: boolean }>;
}

export class GenerateBatcher {
  private readonly pool: PgPool;
  private readonly queue: Queue<GenerateJobData>;
  /** The connection the queue writes on: its status says whether Redis is reachable now. */
  private readonly connection: Redis;
  private readonly log: Logger;
  private readonly maxBackgroundEnqueues: number;
  /** Groups whose queue entries are still being added after their requests were answered. */
  private backgroundEnqueues = 0;
  private readonly maxInFlight: number;
  private readonly maxBatch: number;
  private pending = new Map<string, Pending>();
  private readonly stallMs: number;
  /** The statements in flight, by start time (the enqueue stage does not count: it overlaps the next statement). */
  private readonly inFlight = new Set<{ started: number }>();
  private stallTimer: NodeJS.Timeout | null = null;

  constructor(
    pool: PgPool,
    queue: Queue<GenerateJobData>,
    connection: Redis,
    log: Logger,
    options: { maxInFlight?: number; maxBatch?: number; stallMs?: number; maxBackgroundEnqueues?: number } = {},
  ) {
    this.pool = pool;
    this.queue = queue;
    this.connection = connection;
    this.log = log;
    this.maxBackgroundEnqueues = options.maxBackgroundEnqueues ?? 2;
    this.maxInFlight = options.maxInFlight ?? 4;
    this.maxBatch = options.maxBatch ?? 200;
    // A group's statement takes ~1–5 ms on a loaded 2-core machine; 25 ms means it is stuck.
    this.stallMs = options.stallMs ?? 25;
  }

  submit(articleId: string, trace: Record<string, string>): Promise<GenerateRowResult> {
    return new Promise((resolve, reject) => {
      const existing = this.pending.get(articleId);
      if (existing) existing.waiters.push({ resolve, reject, first: false });
      else this.pending.set(articleId, { articleId, jobId: randomUUID(), trace, requestSpan: activeSpanContext(), waiters: [{ resolve, reject, first: true }] });
      this.pump();
    });
  }

  private pump(): void {
    while (this.pending.size > 0 && this.mayStartStatement()) {
      const batch: Pending[] = [];
      for (const [key, p] of this.pending) {
        batch.push(p);
        this.pending.delete(key);
        if (batch.length >= this.maxBatch) break;
      }
      const statement = { started: performance.now() };
      this.inFlight.add(statement);
      void this.run(batch, () => {
        this.inFlight.delete(statement);
        this.pump();
      });
    }
  }

  /** None in flight, or every one in flight has stalled (then re-checked when the next would stall). */
  private mayStartStatement(): boolean {
    if (this.inFlight.size === 0) return true;
    if (this.inFlight.size >= this.maxInFlight) return false;
    let newest = 0; // runs on every submit: no allocation
    for (const statement of this.inFlight) newest = Math.max(newest, statement.started);
    const wait = newest + this.stallMs - performance.now();
    if (wait <= 0) return true;
    if (!this.stallTimer) {
      this.stallTimer = setTimeout(() => {
        this.stallTimer = null;
        this.pump();
      }, Math.ceil(wait));
      this.stallTimer.unref();
    }
    return false;
  }

  private async run(batch: Pending[], statementDone: () => void): Promise<void> {
    let rows: Row[];
    try {
      const result = await query<Row>(this.pool, {
        name: 'opad_generate_batch',
        text: BATCH_SQL,
        values: [batch.map((p) => p.articleId), batch.map((p) => p.jobId), batch.map((p) => JSON.stringify(p.trace))],
      });
      rows = result.rows;
    } catch (error) {
      statementDone();
      for (const p of batch) for (const w of p.waiters) w.reject(error);
      return;
    }
    statementDone();
    const byArticle = new Map(rows.map((r) => [r.article_id, r]));
    const created = batch.filter((p) => byArticle.get(p.articleId)?.inserted_id === p.jobId);

    // The rows are committed: the jobs are accepted. Now their queue entries (see the class comment).
    let enqueueErrors = new Map<Pending, unknown>();
    if (created.length > 0) {
      if (this.connection.status === 'ready' && this.backgroundEnqueues < this.maxBackgroundEnqueues) this.enqueueAfterAnswer(created);
      else enqueueErrors = await this.enqueue(created);
    }

    for (const p of batch) {
      const row = byArticle.get(p.articleId);
      for (const w of p.waiters) {
        if (!row?.article_exists) w.resolve({ kind: 'missing' });
        else if (row.inserted_id === p.jobId) {
          w.resolve(w.first ? { kind: 'created', jobId: p.jobId, enqueueError: enqueueErrors.get(p) ?? null } : { kind: 'active', job: { id: p.jobId, status: 'queued', trace_context: p.trace } });
        } else if (row.active) w.resolve({ kind: 'active', job: row.active });
        else w.resolve({ kind: 'raced' });
      }
    }
  }

  private enqueueAfterAnswer(created: Pending[]): void {
    this.backgroundEnqueues++;
    void this.enqueue(created).then((failed) => {
      this.backgroundEnqueues--;
      if (failed.size === 0) return;
      const jobIds = [...failed.keys()].map((p) => p.jobId);
      this.log.warn({ err: failed.values().next().value, jobIds }, 'queue entries not added after the answer; the sweeper will add them');
    });
  }

  /** Adds the created jobs to the queue; answers the error of each job that could not be added. */
  private async enqueue(created: Pending[]): Promise<Map<Pending, unknown>> {
    const failed = new Map<Pending, unknown>();
    await withBatchPublishSpan(
      GENERATE_QUEUE,
      created.map((p) => p.requestSpan),
      async () => {
        const settled = await Promise.allSettled(
          created.map((p) => enqueueGenerate(this.queue, { jobId: p.jobId, articleId: p.articleId, trace: p.trace })),
        );
        settled.forEach((outcome, i) => {
          if (outcome.status === 'rejected') failed.set(created[i]!, outcome.reason);
        });
        // Thrown only to mark the publish span as failed; each request gets its own error.
        if (failed.size > 0) throw failed.values().next().value;
      },
    ).catch((error: unknown) => {
      // Our own marker when some adds failed; anything else failed before every add had settled,
      // so no request of the group may claim that its job is in the queue.
      if (failed.size === 0) for (const p of created) failed.set(p, error);
    });
    return failed;
  }
}
