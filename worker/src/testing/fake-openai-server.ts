import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted OpenAI-compatible HTTP server for tests: `POST /v1/chat/completions` answers what
 * the script says — a normal structured answer (by the request's JSON-schema name), an HTTP
 * error (429, 500, 400), malformed JSON, a delay, or a hang past the client's timeout.
 */
export interface FakeRequest {
  index: number;
  schema: string;
  body: { model: string; messages: Array<{ role: string; content: string }>; response_format?: { json_schema?: { name?: string } } };
}

export type FakeReply =
  | { kind: 'answer'; content?: unknown; delayMs?: number; usage?: { prompt_tokens: number; completion_tokens: number } }
  | { kind: 'error'; status: number; message?: string; delayMs?: number }
  | { kind: 'malformed'; text?: string }
  | { kind: 'hang' };

export type FakeScript = (request: FakeRequest) => FakeReply;

export const DEFAULT_USAGE = { prompt_tokens: 120, completion_tokens: 80 };

const words = (n: number, seed: string) =>
  Array.from({ length: n }, (_, i) => (i % 12 === 11 ? 'river.' : ['The', 'town', 'cleans', 'its', 'river', 'with', 'floating', 'gardens', 'and', 'many', 'happy', 'volunteers'][i % 12])).join(' ') + ` ${seed}.`;

/** A valid answer for each of the openai generator's three round trips. */
export function defaultContent(schema: string): unknown {
  if (schema === 'adaptation') return { sourceIndex: 0, title: 'Gardens on the river', body: `${words(60, 'Draft')}\n\n${words(60, 'Draft')}` };
  if (schema === 'review') return { verdict: 'ok', problems: [], title: 'Gardens on the river', body: `${words(70, 'Reviewed')}\n\n${words(70, 'Reviewed')}` };
  if (schema === 'vocabulary') {
    return { vocabulary: [{ word: 'floating', definition: 'resting on the water', example: 'A floating garden.', partOfSpeech: 'adjective' }] };
  }
  return {};
}

export const normal: FakeScript = () => ({ kind: 'answer' });

export interface FakeOpenAIServer {
  readonly baseURL: string;
  readonly requests: FakeRequest[];
  script: FakeScript;
  close(): Promise<void>;
}

export async function startFakeOpenAIServer(script: FakeScript = normal): Promise<FakeOpenAIServer> {
  const requests: FakeRequest[] = [];
  const state = { script };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) return send(res, 404, { error: { message: 'not found' } });
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeRequest['body'];
    const request: FakeRequest = { index: requests.length, schema: body.response_format?.json_schema?.name ?? '', body };
    requests.push(request);
    const reply = state.script(request);
    if (reply.kind === 'hang') return; // never answers; the client's timeout has to fire
    if ('delayMs' in reply && reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (res.destroyed) return;
    if (reply.kind === 'error') {
      return send(res, reply.status, { error: { message: reply.message ?? `scripted ${reply.status}`, type: 'test', code: null } });
    }
    const content = reply.kind === 'malformed' ? (reply.text ?? '{"title": "cut off') : JSON.stringify(reply.content ?? defaultContent(request.schema));
    send(res, 200, {
      id: `chatcmpl-${request.index}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content, refusal: null } }],
      usage: { ...DEFAULT_USAGE, ...(reply.kind === 'answer' ? reply.usage : {}), total_tokens: 0 },
    });
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, { error: { message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    get script() {
      return state.script;
    },
    set script(next: FakeScript) {
      state.script = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `npx node worker/src/testing/fake-openai-server.ts [delayMs]`: a server for child-process tests. */
if (import.meta.main) {
  const delayMs = Number(process.argv[2] ?? 0);
  const server = await startFakeOpenAIServer(() => ({ kind: 'answer', delayMs }));
  process.stdout.write(`${server.baseURL}\n`);
}
