// Queue depth read with plain Redis commands, checked against real BullMQ 6 queues.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getRedisUrl, uniquePrefix } from '@opad/core/testing/redis';
import { readBusyWorkers, readQueueDepth } from './queue-depth.ts';

const url = getRedisUrl();
const prefix = uniquePrefix('depth');
let redis: Redis;
let queue: Queue;

beforeAll(() => {
  redis = new Redis(url);
  queue = new Queue('generate', { prefix, connection: { url } });
});

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
});

describe('readQueueDepth / readBusyWorkers', () => {
  it('counts wait + prioritized + active + due delayed, names the busy workers, and only active when paused', async () => {
    await queue.addBulk([
      { name: 'g', data: {} },
      { name: 'g', data: {} },
      { name: 'g', data: {}, opts: { priority: 2 } },
      { name: 'g', data: {}, opts: { delay: 3_600_000 } },
    ]);
    const now = Date.now();
    // "due" as of the time the depth is read for (now + 20 s), but not in real time: a job really
    // due would be promoted to waiting by the worker's next fetch, and the counts would race it
    await queue.add('g', {}, { delay: 10_000 });
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const worker = new Worker('generate', () => held, { prefix, connection: { url }, name: 'worker-pod-abc12', concurrency: 1 });
    try {
      await expect.poll(async () => (await readQueueDepth(redis, { prefix, name: 'generate' })).active, { timeout: 3000 }).toBe(1);
      await worker.pause(true); // the held job stays active; nothing more is taken
      const depth = await readQueueDepth(redis, { prefix, name: 'generate' }, now + 20_000);
      // one of the 2 waiting went active; the prioritized job may have gone first
      expect(depth.waiting + depth.prioritized).toBe(2);
      expect(depth).toMatchObject({ active: 1, delayedDue: 1, delayedFuture: 1, paused: false, depth: 4 });
      expect(await readBusyWorkers(redis, { prefix, name: 'generate' })).toEqual(new Map([['worker-pod-abc12', 1]]));
      await queue.pause();
      expect(await readQueueDepth(redis, { prefix, name: 'generate' }, now + 20_000)).toMatchObject({ paused: true, depth: 1 });
    } finally {
      release();
      await worker.close();
    }
  });
});
