import type { S3Client } from '@aws-sdk/client-s3';
import { assertSafeKey, type ObjectStore } from './object-store.ts';

// The AWS SDK costs ~13 MB of heap; load it only when an S3 store is actually used, so the
// disk-backed `make dev` and the services' idle memory do not pay for it.
type Sdk = typeof import('@aws-sdk/client-s3');
let sdkPromise: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdkPromise ??= import('@aws-sdk/client-s3'));

export interface S3StoreOptions {
  bucket: string;
  endpoint?: string | undefined;
  region?: string | undefined;
  accessKeyId?: string | undefined;
  secretAccessKey?: string | undefined;
  forcePathStyle?: boolean;
}

const isMissing = (error: unknown): boolean =>
  (error as { name?: string }).name === 'NoSuchKey' ||
  (error as { name?: string }).name === 'NotFound' ||
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;

/** S3-compatible store (AWS S3, Cloudflare R2, MinIO) through the AWS SDK v3. */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  private readonly options: S3StoreOptions;
  private clientPromise: Promise<{ client: S3Client; sdk: Sdk }> | undefined;

  constructor(options: S3StoreOptions) {
    this.bucket = options.bucket;
    this.options = options;
  }

  private connect(): Promise<{ client: S3Client; sdk: Sdk }> {
    this.clientPromise ??= loadSdk().then((sdk) => ({ sdk, client: this.createClient(sdk) }));
    return this.clientPromise;
  }

  private createClient(sdk: Sdk): S3Client {
    const options = this.options;
    return new sdk.S3Client({
      region: options.region ?? 'us-east-1',
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.accessKeyId && options.secretAccessKey
        ? { credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } }
        : {}),
      maxAttempts: 3, // the SDK's own retry with backoff for throttling and 5xx
    });
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    assertSafeKey(key);
    const { client, sdk } = await this.connect();
    await client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key: key, Body: body, ContentType: contentType }));
  }

  async getText(key: string): Promise<string | null> {
    assertSafeKey(key);
    try {
      const { client, sdk } = await this.connect();
      const result = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return (await result.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertSafeKey(key);
    try {
      const { client, sdk } = await this.connect();
      await client.send(new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    const { client, sdk } = await this.connect();
    await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  async check(): Promise<void> {
    const { client, sdk } = await this.connect();
    await client.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }));
  }

  async destroy(): Promise<void> {
    if (this.clientPromise) (await this.clientPromise).client.destroy();
  }
}
