import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type PageRoute = (res: ServerResponse, url: URL) => void;

/** A local web server for source pages (reachable only through FETCH_ALLOW_HOSTS). */
export async function startPageServer(routes: Record<string, PageRoute>): Promise<{ origin: string; host: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    hits.push(url.pathname);
    const route = routes[url.pathname];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    route(res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const html = (body: string, status = 200): PageRoute => (res) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
  res.end(body);
};

export const redirect = (location: string, status = 302): PageRoute => (res) => {
  res.writeHead(status, { location });
  res.end();
};
