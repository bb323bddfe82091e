import { fork, type ChildProcess } from 'node:child_process';
import { startOtlpReceiver } from '../../core/src/testing/otlp-receiver.ts';

/**
 * The test OTLP receiver (core/src/testing/otlp-receiver.ts) in a process of its own, for
 * benchmarks: where a collector runs in production. In the benchmark's own process it shared the
 * load generator's event loop, so every export it took in (~250 KB every ~80 ms from a traced api)
 * held up autocannon's next requests, on the traced side only.
 */
export interface ReceiverStats {
  readonly requests: number;
  readonly bytes: number;
  /** Spans decoded (0 unless started with `decode`). */
  readonly spans: number;
}

export interface ReceiverProcess {
  readonly url: string;
  stats(): Promise<ReceiverStats>;
  close(): Promise<void>;
}

type FromChild = { url: string } | { id: number; stats: ReceiverStats };
type ToChild = { type: 'stats'; id: number } | { type: 'close' };

const CHILD_FLAG = 'OPAD_BENCH_OTLP_RECEIVER_CHILD';

export async function startReceiverProcess(options: { decode?: boolean } = {}): Promise<ReceiverProcess> {
  const child: ChildProcess = fork(import.meta.filename, [], {
    env: { ...process.env, [CHILD_FLAG]: options.decode ? 'decode' : 'count' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const waiting = new Map<number, (answer: ReceiverStats | Error) => void>();
  let nextId = 1;
  // A receiver that dies mid-run fails the benchmark instead of leaving it waiting for stats.
  let died: Error | undefined;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      died = new Error(`the OTLP receiver process exited (${code})`);
      reject(died);
      for (const answer of waiting.values()) answer(died);
    });
    child.on('message', (message: FromChild) => {
      if ('url' in message) resolve(message.url);
      else waiting.get(message.id)?.(message.stats);
    });
  });
  const send = (message: ToChild) => child.send(message);
  return {
    url,
    stats: () =>
      new Promise((resolve, reject) => {
        if (died) return reject(died);
        const id = nextId++;
        waiting.set(id, (answer) => {
          waiting.delete(id);
          if (answer instanceof Error) reject(answer);
          else resolve(answer);
        });
        send({ type: 'stats', id });
      }),
    close: async () => {
      if (died) return;
      const exited = new Promise((r) => child.once('exit', r));
      send({ type: 'close' });
      await exited;
    },
  };
}

if (process.env[CHILD_FLAG] && process.send) {
  const receiver = await startOtlpReceiver({ decode: process.env[CHILD_FLAG] === 'decode' });
  process.on('message', (message: ToChild) => {
    if (message.type === 'stats') process.send!({ id: message.id, stats: { requests: receiver.requests(), bytes: receiver.bytes(), spans: receiver.spans.length } } satisfies FromChild);
    else void receiver.close().then(() => process.exit(0));
  });
  process.send({ url: receiver.url } satisfies FromChild);
}
