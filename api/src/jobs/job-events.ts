import { QueueEvents } from 'bullmq';
import type { Logger } from '@opad/core/logger';
import { createRedis } from '@opad/core/redis';
import { GENERATE_QUEUE } from '@opad/core/queue';

export type JobSignal = 'progress' | 'completed' | 'failed' | 'active' | 'waiting';
type Listener = (signal: JobSignal) => void;

/** Opens a QueueEvents reader (with its own blocking connection); `close` releases both. */
export type QueueEventsSource = () => { events: QueueEvents; close(): Promise<void> };

/**
 * Where a newly opened stream starts reading: this long before it opened. BullMQ's default (`$`)
 * means "what comes after my first XREAD", and that read goes out only once the connection is
 * ready and named, after the hub has already nudged its followers: an event added in between was
 * lost, so a follower could miss the progress right after it subscribed (seen as a test that
 * failed under load). Replaying a second of events is harmless, as each is only a nudge to
 * re-read the job row; the second also absorbs a small clock skew between this process and Redis.
 */
const REPLAY_ON_OPEN_MS = 1_000;

/**
 * The generate queue's events. QueueEvents blocks on XREAD, so it gets a connection of its own
 * with the retrying profile; BullMQ leaves a connection it was handed open, so `close` ends it.
 */
export function generateQueueEvents(redisUrl: string, prefix: string): QueueEventsSource {
  return () => {
    const connection = createRedis(redisUrl, 'worker');
    connection.on('error', () => undefined); // reported through QueueEvents' own 'error'
    // A stream entry id is `<ms>-<seq>`; XREAD answers the entries after it.
    const lastEventId = `${Date.now() - REPLAY_ON_OPEN_MS}-0`;
    const events = new QueueEvents(GENERATE_QUEUE, { connection, prefix, lastEventId });
    return {
      events,
      close: async () => {
        await events.close();
        connection.disconnect();
      },
    };
  };
}

export interface JobEventsHubOptions {
  /** How long the stream stays open after the last follower leaves (reopening costs a connection). */
  lingerMs?: number;
}

/**
 * One BullMQ QueueEvents stream per api process, fanned out to the SSE clients that follow a
 * job — opened only while someone follows. QueueEvents reads and parses *every* event of the
 * queue (each enqueued job adds two), which cost the api a quarter of its CPU under ingest load
 * when nobody was watching (bench/ingest.ts: 189 → 138 µs per request).
 *
 * Events are only a nudge: listeners re-read the job row, which stays the source of truth (an
 * event can be missed while the stream opens or Redis reconnects; the SSE route also polls
 * slowly). When the stream has opened, every follower is nudged once to catch what it missed.
 */
export class JobEventsHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly open: QueueEventsSource;
  private readonly log: Logger;
  private readonly lingerMs: number;
  private stream: ReturnType<QueueEventsSource> | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;

  constructor(open: QueueEventsSource, log: Logger, options: JobEventsHubOptions = {}) {
    this.open = open;
    this.log = log;
    this.lingerMs = options.lingerMs ?? 30_000;
  }

  /** True while the QueueEvents stream is open (someone follows, or did within the linger). */
  get listening(): boolean {
    return this.stream !== null;
  }

  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    this.ensureOpen();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
      if (this.listeners.size === 0) this.scheduleClose();
    };
  }

  private ensureOpen(): void {
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
    if (this.stream) return;
    const stream = this.open();
    this.stream = stream;
    const { events } = stream;
    const forward = (signal: JobSignal) => (args: { jobId: string }) => this.emit(args.jobId, signal);
    events.on('progress', forward('progress'));
    events.on('completed', forward('completed'));
    events.on('failed', forward('failed'));
    events.on('active', forward('active'));
    events.on('waiting', forward('waiting'));
    events.on('retries-exhausted', forward('failed'));
    events.on('error', (error) => this.log.warn({ err: error }, 'queue events stream error'));
    events.waitUntilReady().then(
      () => {
        if (this.stream !== stream) return;
        for (const set of this.listeners.values()) for (const listener of set) listener('progress');
      },
      () => undefined, // reported through 'error'; the followers' polls carry on
    );
  }

  private scheduleClose(): void {
    if (!this.stream || this.lingerTimer) return;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (this.listeners.size === 0) void this.closeStream();
    }, this.lingerMs);
    this.lingerTimer.unref();
  }

  private async closeStream(): Promise<void> {
    const stream = this.stream;
    this.stream = null;
    await stream?.close().catch((error: unknown) => this.log.debug({ err: error }, 'closing queue events stream failed'));
  }

  private emit(jobId: string, signal: JobSignal): void {
    for (const listener of this.listeners.get(jobId) ?? []) listener(signal);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
    await this.closeStream();
  }
}
