import { defineConfig } from 'vitest/config';

// One run covers every workspace. Integration tests talk to real Postgres, Redis and an
// S3-compatible server; each test file isolates itself (own database, own queue prefix).
export default defineConfig({
  test: {
    projects: [
      // The web's unit tests (components in jsdom, loaders/actions against a stand-in api server).
      'web/vitest.config.ts',
      {
        test: {
          name: 'services',
          include: ['{core,api,worker,autoscaler}/src/**/*.test.ts', 'bench/support/**/*.test.ts'],
          environment: 'node',
          testTimeout: 30_000,
          hookTimeout: 60_000,
          globalSetup: ['core/src/testing/global-setup.ts'],
        },
      },
      {
        test: {
          name: 'deploy',
          include: ['charts/test/**/*.test.ts', 'docker/**/*.test.ts', 'railway/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Fetches helm once (scripts/fetch-helm.sh, cached in .tools/) and builds chart dependencies.
          globalSetup: ['charts/test/global-setup.ts'],
        },
      },
    ],
  },
});
