import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { createRedis, type Redis } from '@opad/core/redis';
import { createLogger } from '@opad/core/logger';
import { createGenerateQueue, GENERATE_QUEUE } from '@opad/core/queue';
import { getRedisUrl, uniquePrefix } from '@opad/core/testing/redis';
import { generateQueueEvents, JobEventsHub, type JobSignal } from './job-events.ts';

const prefix = uniquePrefix('hub');
let producer: Redis;
let queue: ReturnType<typeof createGenerateQueue>;
let opened = 0;
let closed = 0;

/** The api's own stream factory, counting how often the hub opens and closes it. */
function newHub(lingerMs: number): JobEventsHub {
  const source = generateQueueEvents(getRedisUrl(), prefix);
  return new JobEventsHub(
    () => {
      opened++;
      const stream = source();
      return {
        events: stream.events,
        close: () => {
          closed++;
          return stream.close();
        },
      };
    },
    createLogger('test', 'silent'),
    { lingerMs },
  );
}

beforeAll(() => {
  producer = createRedis(getRedisUrl(), 'producer');
  queue = createGenerateQueue(producer, prefix);
});
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  producer.disconnect();
});

const until = async (check: () => boolean, ms = 3_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

it('reads the queue events only while someone follows a job, and closes the stream after the linger', async () => {
  opened = closed = 0;
  const hub = newHub(100);
  // Jobs enqueued with nobody following: no stream is opened for them.
  await queue.add(GENERATE_QUEUE, { jobId: randomUUID(), articleId: randomUUID(), trace: {} });
  expect(hub.listening).toBe(false);
  expect(opened).toBe(0);

  const followed = await queue.add(GENERATE_QUEUE, { jobId: randomUUID(), articleId: randomUUID(), trace: {} });
  const other = await queue.add(GENERATE_QUEUE, { jobId: randomUUID(), articleId: randomUUID(), trace: {} });
  const signals: JobSignal[] = [];
  const unsubscribe = hub.subscribe(followed.id!, (signal) => signals.push(signal));
  expect(hub.listening).toBe(true);
  // Once open, the follower is nudged to re-read what it may have missed while the stream opened.
  await until(() => signals.length > 0);
  signals.length = 0;

  await other.updateProgress({ progress: 10, stage: 'source' });
  await followed.updateProgress({ progress: 30, stage: 'select' });
  await until(() => signals.includes('progress'));
  // The other job's event is not this follower's (the followed job's own 'waiting', from before
  // the stream opened, may be replayed: see the next test).
  expect(signals.filter((s) => s === 'progress')).toEqual(['progress']);

  // A follower that comes back within the linger reuses the open stream.
  unsubscribe();
  const again = hub.subscribe(followed.id!, () => undefined);
  again();
  expect(opened).toBe(1);

  await until(() => !hub.listening);
  expect(closed).toBe(1);
  await hub.close();
});

it('delivers an event that happened while the stream was still opening', async () => {
  const hub = newHub(100);
  const job = await queue.add(GENERATE_QUEUE, { jobId: randomUUID(), articleId: randomUUID(), trace: {} });
  const signals: JobSignal[] = [];
  const unsubscribe = hub.subscribe(job.id!, (signal) => signals.push(signal));
  // Added before the stream's connection is even up: read from '$', it was lost.
  await job.updateProgress({ progress: 20, stage: 'source' });
  // One 'progress' is the nudge every follower gets once the stream is open; the other is the event.
  await until(() => signals.filter((s) => s === 'progress').length >= 2);
  unsubscribe();
  await hub.close();
});

it('close() releases an open stream at once', async () => {
  opened = closed = 0;
  const hub = newHub(60_000);
  hub.subscribe(randomUUID(), () => undefined);
  expect(hub.listening).toBe(true);
  await hub.close();
  expect(hub.listening).toBe(false);
  expect(closed).toBe(1);
});
