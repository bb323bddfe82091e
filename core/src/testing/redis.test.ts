import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './ports.ts';
import { deletePrefixedKeys, getRedisUrl, uniquePrefix } from './redis.ts';

const redis = new Redis(getRedisUrl());
afterAll(() => redis.quit());

describe('deletePrefixedKeys', () => {
  it('deletes every key under the prefix and nothing else', async () => {
    const mine = uniquePrefix('cleanup');
    const other = uniquePrefix('cleanup');
    const keys = Array.from({ length: 2_500 }, (_, i) => `${mine}:generate:${i}`);
    await redis.mset(...keys.flatMap((k) => [k, '1']), `${other}:generate:1`, '1', `${mine}x:generate:1`, '1');
    expect(await deletePrefixedKeys(getRedisUrl(), mine)).toBe(2_500);
    expect(await redis.exists(...keys.slice(0, 50))).toBe(0);
    // a neighbour whose prefix merely starts the same is kept
    expect(await redis.exists(`${other}:generate:1`, `${mine}x:generate:1`)).toBe(2);
    await redis.del(`${other}:generate:1`, `${mine}x:generate:1`);
  });

  it('leaves a Redis that is gone alone (no error, no retries)', async () => {
    expect(await deletePrefixedKeys(`redis://127.0.0.1:${await freePort()}`, 'gone')).toBe(0);
  });
});
