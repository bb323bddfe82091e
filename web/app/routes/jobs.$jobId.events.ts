import { json, type LoaderFunctionArgs } from '@remix-run/node';
import { uuidSchema } from '@opad/core/http-contract';
import { ApiError, ApiUnavailableError, api } from '../utils/api.server.ts';

/**
 * The api's `GET /jobs/:id/events` stream, passed through so the browser only ever talks to
 * the web. `Cache-Control: no-transform` keeps compression (remix-serve) from buffering it.
 * The upstream call ends when the browser goes away (request.signal).
 */
export async function loader({ params, request }: LoaderFunctionArgs) {
  const jobId = uuidSchema.safeParse(params.jobId);
  if (!jobId.success) return json({ error: { code: 'not_found', message: 'no such job' } }, { status: 404 });
  try {
    const upstream = await api(request).openJobEvents(jobId.data, request.signal);
    return new Response(upstream.body, {
      status: 200,
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      },
    });
  } catch (error) {
    if (error instanceof ApiError) return json({ error: { code: error.code, message: error.message } }, { status: error.status });
    if (error instanceof ApiUnavailableError) return json({ error: { code: 'api_unavailable', message: error.message } }, { status: 503 });
    throw error;
  }
}
