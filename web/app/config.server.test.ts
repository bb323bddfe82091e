import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '@opad/core/config';
import { configSchema } from './config.server.ts';

describe('web config', () => {
  it('needs API_BASE_URL and names it when missing', () => {
    expect(() => loadConfig(configSchema, {})).toThrow(ConfigError);
    try {
      loadConfig(configSchema, {});
    } catch (e) {
      expect((e as ConfigError).issues.join('\n')).toMatch(/API_BASE_URL/);
    }
  });
  it('has defaults for the rest and trims a trailing slash', () => {
    const c = loadConfig(configSchema, { API_BASE_URL: 'http://127.0.0.1:8080/' });
    expect(c).toEqual({ API_BASE_URL: 'http://127.0.0.1:8080', PORT: 3000, LOG_LEVEL: 'info', API_TIMEOUT_MS: 5000 });
  });
  it('refuses a non-http url and a bad timeout', () => {
    expect(() => loadConfig(configSchema, { API_BASE_URL: 'ftp://x' })).toThrow(/API_BASE_URL/);
    expect(() => loadConfig(configSchema, { API_BASE_URL: 'http://x', API_TIMEOUT_MS: '-1' })).toThrow(/API_TIMEOUT_MS/);
  });
});
