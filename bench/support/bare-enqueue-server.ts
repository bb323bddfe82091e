/**
 * The ingest floor: a bare Express handler that only calls `queue.add` — no validation, no
 * database, no guarantees. OPAD's generate endpoint is measured against this.
 */
import express from 'express';
import { randomUUID } from 'node:crypto';
import { createRedis } from '../../core/src/redis.ts';
import { createGenerateQueue } from '../../core/src/queue.ts';

const queue = createGenerateQueue(createRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer'), process.env.QUEUE_PREFIX ?? 'bench-floor');
const app = express();
app.post('/articles/:id/generate', async (req, res) => {
  const jobId = randomUUID();
  await queue.add('generate', { jobId, articleId: req.params.id, trace: {} }, { jobId });
  res.status(202).json({ jobId, status: 'queued' });
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
