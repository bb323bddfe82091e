/**
 * The ingest floors, bare Express handlers with no validation, no error handling, no
 * guarantees; OPAD's generate endpoint is measured against them.
 *   FLOOR_MODE=queue    (default) only `queue.add` — the floor
 *   FLOOR_MODE=durable  one plain INSERT of the job row (pg, no ORM) then `queue.add` — the least
 *                       any endpoint must do to never lose an accepted job
 */
import express from 'express';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { createRedis } from '../../core/src/redis.ts';
import { createGenerateQueue } from '../../core/src/queue.ts';

const queue = createGenerateQueue(createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer'), process.env.QUEUE_PREFIX ?? 'bench-floor');
const durable = process.env.FLOOR_MODE === 'durable';
const pool = durable ? new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }) : undefined;
const app = express();
app.post('/articles/:id/generate', async (req, res) => {
  const jobId = randomUUID();
  if (pool) await pool.query('INSERT INTO jobs (id, article_id) VALUES ($1, $2)', [jobId, req.params.id]);
  await queue.add('generate', { jobId, articleId: req.params.id, trace: {} }, { jobId });
  res.status(202).json({ jobId, status: 'queued' });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
