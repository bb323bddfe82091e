import type { QueueEvents } from 'bullmq';
import type { Logger } from '@opad/core/logger';

export type JobSignal = 'progress' | 'completed' | 'failed' | 'active' | 'waiting';
type Listener = (signal: JobSignal) => void;

/**
 * One BullMQ QueueEvents stream per api process, fanned out to the SSE clients that follow a
 * job. Events are only a nudge: listeners re-read the job row, which stays the source of truth
 * (an event can be missed while Redis reconnects; the SSE route also polls slowly).
 */
export class JobEventsHub {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly events: QueueEvents;

  constructor(events: QueueEvents, log: Logger) {
    this.events = events;
    const forward = (signal: JobSignal) => (args: { jobId: string }) => this.emit(args.jobId, signal);
    events.on('progress', forward('progress'));
    events.on('completed', forward('completed'));
    events.on('failed', forward('failed'));
    events.on('active', forward('active'));
    events.on('waiting', forward('waiting'));
    events.on('retries-exhausted', forward('failed'));
    events.on('error', (error) => log.warn({ err: error }, 'queue events stream error'));
  }

  subscribe(jobId: string, listener: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  private emit(jobId: string, signal: JobSignal): void {
    for (const listener of this.listeners.get(jobId) ?? []) listener(signal);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.events.close();
  }
}
