/**
 * The object store behind one small interface: S3-compatible services (R2, MinIO, AWS S3) in
 * production, a directory on disk for `make dev` and tests. Keys are '/'-separated paths
 * (see `objectKeys` in domain.ts).
 */
export interface ObjectStore {
  readonly kind: 's3' | 'disk';
  put(key: string, body: string | Uint8Array, contentType: string): Promise<void>;
  /** The object's bytes as text, or null when there is no such key. */
  getText(key: string): Promise<string | null>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** A cheap round trip for readiness probes; throws when the store cannot be reached. */
  check(): Promise<void>;
}

export class ObjectStoreError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectStoreError';
  }
}

/** Keys come from our code, but a bad one must never escape the bucket or the directory. */
export function assertSafeKey(key: string): void {
  if (!key || key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new ObjectStoreError(`invalid object key: ${JSON.stringify(key)}`);
  }
}
