/** Liveness for probes: the web process answers. It does not call the api (that is the api's own probe). */
export const loader = () =>
  new Response(JSON.stringify({ status: 'ok' }), { headers: { 'content-type': 'application/json', 'cache-control': 'no-store' } });
