// How much work a BullMQ queue asks for, read with plain Redis commands in one MULTI so a
// reading is consistent (the queue's Lua scripts are atomic, so a MULTI sees either the
// state before or after a script, never half of one).
//
// Key layout verified against bullmq 6.7 (dist/esm/classes/queue-keys.js and the Lua
// scripts): `<prefix>:<queue>:wait` (list), `:prioritized` (zset), `:active` (list),
// `:delayed` (zset, score = timestamp * 0x1000 + counter), `:meta` (hash, field `paused`
// set to 1 by pause-7.lua; BullMQ 6 leaves paused jobs in `wait`), job hashes
// `<prefix>:<queue>:<id>` with field `pb` = the name of the worker processing it
// (prepareJobForProcessing.lua sets it when the Worker has a `name`).
import type { Redis } from 'ioredis';

export interface QueueRef {
  prefix: string;
  name: string;
}

export interface QueueDepth {
  /** jobs in the `wait` list */
  waiting: number;
  /** jobs in the `prioritized` sorted set (BullMQ's getWaitingCount leaves them out) */
  prioritized: number;
  /** jobs being processed */
  active: number;
  /** delayed jobs whose time has come but that BullMQ has not promoted to wait yet */
  delayedDue: number;
  /** delayed jobs still in the future: not demand */
  delayedFuture: number;
  paused: boolean;
  /** the demand the autoscaler sizes for: active only when paused, else all of the above */
  depth: number;
}

export function queueKey(queue: QueueRef, suffix: string): string {
  return `${queue.prefix}:${queue.name}:${suffix}`;
}

/** delayed zset score upper bound (inclusive) for jobs due at or before `nowMs` */
function dueScore(nowMs: number): number {
  return (nowMs + 1) * 0x1000 - 1;
}

export async function readQueueDepth(redis: Redis, queue: QueueRef, nowMs = Date.now()): Promise<QueueDepth> {
  const result = await redis
    .multi()
    .llen(queueKey(queue, 'wait'))
    .zcard(queueKey(queue, 'prioritized'))
    .llen(queueKey(queue, 'active'))
    .zcount(queueKey(queue, 'delayed'), '-inf', dueScore(nowMs))
    .zcard(queueKey(queue, 'delayed'))
    .hget(queueKey(queue, 'meta'), 'paused')
    .exec();
  if (!result) throw new Error('queue depth transaction aborted');
  const values = result.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
  const [waiting, prioritized, active, delayedDue, delayedAll] = values.slice(0, 5).map((v) => Number(v ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const pausedField = values[5];
  const paused = pausedField === '1' || pausedField === 'true';
  const depth = paused ? active : waiting + prioritized + active + delayedDue;
  return { waiting, prioritized, active, delayedDue, delayedFuture: delayedAll - delayedDue, paused, depth };
}

/**
 * Names of the workers that hold an active job, with how many each holds. A worker that
 * sets its BullMQ `name` to its pod name (OPAD's worker does: POD_NAME) is thereby a busy pod.
 * Jobs processed by an unnamed worker count under the empty name.
 */
export async function readBusyWorkers(redis: Redis, queue: QueueRef, limit = 1000): Promise<Map<string, number>> {
  const ids = await redis.lrange(queueKey(queue, 'active'), 0, limit - 1);
  const busy = new Map<string, number>();
  if (ids.length === 0) return busy;
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hget(queueKey(queue, id), 'pb');
  const results = (await pipeline.exec()) ?? [];
  for (const [err, value] of results) {
    if (err) throw err;
    const name = typeof value === 'string' ? value : '';
    busy.set(name, (busy.get(name) ?? 0) + 1);
  }
  return busy;
}
