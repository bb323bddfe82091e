import { defineConfig } from 'vitest/config';

// Unit tests for components, loaders and actions. No Remix Vite plugin here: route modules
// are imported directly; loader/action tests talk to a real local HTTP server standing in for the api.
export default defineConfig({
  esbuild: { jsx: 'automatic' },
  test: {
    name: 'web',
    root: import.meta.dirname,
    include: ['app/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 15_000,
  },
});
