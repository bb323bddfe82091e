import pg from 'pg';
import { dependencyUnavailable } from '../errors.ts';

export type PgPool = pg.Pool;

export interface PgPoolOptions {
  max?: number;
  /** A stuck query becomes an error instead of a hung request. */
  statementTimeoutMs?: number;
  applicationName?: string;
  onError?: (error: Error) => void;
}

/**
 * A plain `pg` pool, for services whose hot path should not pay for the ORM (the api). Named
 * (prepared) statements on it use the generic plan from their first run: their plans do not
 * depend on the values, and re-planning a multi-CTE statement costs more than running it.
 * Unnamed statements are still planned per call, as usual. Behind a pooler in transaction mode,
 * named statements need one that tracks them (PgBouncer ≥ 1.21 with max_prepared_statements).
 */
export function createPgPool(url: string, options: PgPoolOptions = {}): PgPool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 10_000,
    statement_timeout: options.statementTimeoutMs ?? 10_000,
    application_name: options.applicationName ?? 'opad',
    options: '-c plan_cache_mode=force_generic_plan',
  });
  // An idle client losing its connection emits on the pool; unhandled, it would end the process.
  pool.on('error', options.onError ?? (() => undefined));
  return pool;
}

// SQLSTATE classes that mean "the database is not there right now", not "your query is wrong":
// 08 connection exception, 53 insufficient resources, 57P0x shutdown/cannot connect now.
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0)/;
const NODE_SOCKET_ERRNO = /^E(CONNREFUSED|CONNRESET|TIMEDOUT|HOSTUNREACH|NOTFOUND|PIPE|AI_AGAIN)$/;
const UNAVAILABLE_MESSAGE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|canceling statement due to statement timeout/i;

/** True when a pg error means the database is unreachable or overloaded (answer 503, retry later). */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  // SQLSTATE from the server, or a Node socket errno (ECONNREFUSED…) from the client.
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || code === '57014' || NODE_SOCKET_ERRNO.test(code))) return true;
  return UNAVAILABLE_MESSAGE.test(error.message);
}

/**
 * `pool.query` whose failures to reach the database become the 503 `dependency_unavailable`
 * error (naming the database), while a wrong query stays a bug (500).
 */
export async function query<R extends pg.QueryResultRow>(pool: PgPool, config: pg.QueryConfig): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(config);
  } catch (error) {
    throw isDatabaseUnavailable(error) ? dependencyUnavailable('database', error) : error;
  }
}
