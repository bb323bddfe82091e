import { defineConfig } from 'vitest/config';

// Browser tests against the real stack (api, worker, web as processes; Postgres, Redis,
// offline generator), driven by playwright-core and Debian's Chromium.
export default defineConfig({
  test: {
    name: 'e2e',
    root: import.meta.dirname,
    include: ['**/*.e2e.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    globalSetup: ['./global-setup.ts'],
  },
});
