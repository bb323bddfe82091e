import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, databaseUrl, loadConfig, port, redisUrl, requiredEnvVars, storageFields } from './config.ts';

const schema = z.object({ DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, PORT: port(8080), ...storageFields });

describe('loadConfig', () => {
  it('applies defaults and coerces numbers', () => {
    const config = loadConfig(schema, { DATABASE_URL: 'postgres://u@h/db', PORT: '9000' });
    expect(config.PORT).toBe(9000);
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.STORAGE_DIR).toBe('.opad/objects');
  });

  it('names every bad or missing variable', () => {
    try {
      loadConfig(schema, { PORT: 'eighty', REDIS_URL: 'http://nope' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toMatch(/DATABASE_URL: .*\(not set\)/);
      expect(message).toMatch(/PORT:/);
      expect(message).toMatch(/REDIS_URL: must start with redis:\/\//);
    }
  });

  it('accepts the R2_* names as aliases of S3_*', () => {
    const config = loadConfig(schema, {
      DATABASE_URL: 'postgres://u@h/db',
      R2_BUCKET: 'news',
      R2_ENDPOINT: 'https://acct.r2.cloudflarestorage.com',
      R2_ACCESS_KEY_ID: 'id',
      R2_SECRET_ACCESS_KEY: 'secret',
    });
    expect(config).toMatchObject({ S3_BUCKET: 'news', S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com', S3_REGION: 'auto', S3_ACCESS_KEY_ID: 'id' });
  });

  it('lists the variables a deployment must provide', () => {
    expect(requiredEnvVars(schema)).toEqual(['DATABASE_URL']);
  });
});
