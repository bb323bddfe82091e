import { resetConfigForTests } from '../app/config.server.ts';

/** Points the web's config at a stand-in api for the tests of one file. */
export function useApi(url: string, timeoutMs = 2_000): void {
  process.env.API_BASE_URL = url;
  process.env.API_TIMEOUT_MS = String(timeoutMs);
  process.env.LOG_LEVEL = 'silent';
  resetConfigForTests();
}

export const ctx = {} as never;
