import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: false;
  }
}

export default defineConfig({
  plugins: [
    remix({
      // Tests live next to the routes; they are not routes.
      ignoredRouteFiles: ['**/*.test.{ts,tsx}'],
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
  // @opad/core ships TypeScript sources: bundle it into the server build instead of importing
  // .ts files from node_modules at run time.
  ssr: { noExternal: [/^@opad\//] },
  server: { port: Number(process.env.PORT ?? 3000) },
});
