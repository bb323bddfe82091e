import { DiskObjectStore } from './disk-object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import type { ObjectStore } from './object-store.ts';

export interface StorageConfig {
  S3_ENDPOINT?: string | undefined;
  S3_BUCKET?: string | undefined;
  S3_REGION?: string | undefined;
  S3_ACCESS_KEY_ID?: string | undefined;
  S3_SECRET_ACCESS_KEY?: string | undefined;
  S3_FORCE_PATH_STYLE: boolean;
  STORAGE_DIR: string;
}

/** S3 when a bucket is configured (S3_BUCKET or its R2_BUCKET alias), else files on disk. */
export function createObjectStore(config: StorageConfig): ObjectStore {
  if (config.S3_BUCKET) {
    return new S3ObjectStore({
      bucket: config.S3_BUCKET,
      endpoint: config.S3_ENDPOINT,
      region: config.S3_REGION,
      accessKeyId: config.S3_ACCESS_KEY_ID,
      secretAccessKey: config.S3_SECRET_ACCESS_KEY,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
    });
  }
  return new DiskObjectStore(config.STORAGE_DIR);
}
