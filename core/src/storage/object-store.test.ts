import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startS3Server, type S3ServerHandle } from '../testing/s3.ts';
import { DiskObjectStore } from './disk-object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import type { ObjectStore } from './object-store.ts';

let s3: S3ServerHandle;
let dir: string;
beforeAll(async () => {
  s3 = await startS3Server();
  dir = await mkdtemp(join(tmpdir(), 'opad-disk-'));
});
afterAll(async () => {
  await s3.stop();
  await rm(dir, { recursive: true, force: true });
});

const stores: Array<[string, () => ObjectStore]> = [
  ['disk', () => new DiskObjectStore(dir)],
  [
    's3 (s3rver over HTTP)',
    () => new S3ObjectStore({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, forcePathStyle: true }),
  ],
];

describe.each(stores)('%s object store', (_name, make) => {
  it('round-trips text, reports existence and deletes', async () => {
    const store = make();
    const key = 'articles/0f8fad5b-d9cb-469f-a165-70867728950e/adapted.md';
    expect(await store.getText(key)).toBeNull();
    expect(await store.exists(key)).toBe(false);
    await store.put(key, '# Título\n\nÜber 😀', 'text/markdown; charset=utf-8');
    expect(await store.getText(key)).toBe('# Título\n\nÜber 😀');
    expect(await store.exists(key)).toBe(true);
    await store.put(key, 'second', 'text/markdown');
    expect(await store.getText(key)).toBe('second');
    await store.delete(key);
    expect(await store.exists(key)).toBe(false);
  });

  it('answers the readiness check', async () => {
    await expect(make().check()).resolves.toBeUndefined();
  });

  it('refuses keys that would escape the store', async () => {
    await expect(make().put('../etc/passwd', 'x', 'text/plain')).rejects.toThrow(/invalid object key/);
  });
});

it('s3 readiness fails for a bucket that does not exist', async () => {
  const store = new S3ObjectStore({ bucket: 'missing-bucket', endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
  await expect(store.check()).rejects.toBeTruthy();
});
