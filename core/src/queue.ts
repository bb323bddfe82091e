import { Queue, type JobsOptions, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { STAGES } from './domain.ts';

/** The queue contract shared by api (producer), worker (consumer) and autoscaler (reader). */
export const GENERATE_QUEUE = 'generate';

export const generateJobDataSchema = z.object({
  jobId: z.uuid(),
  articleId: z.uuid(),
  /** W3C trace context (traceparent/tracestate) so the worker joins the request's trace. */
  trace: z.record(z.string(), z.string()).default({}),
});
export type GenerateJobData = z.infer<typeof generateJobDataSchema>;

/** Retries with exponential backoff are BullMQ's; these are the defaults for every add. */
export const GENERATE_JOB_OPTIONS: JobsOptions = {
  attempts: 4,
  backoff: { type: 'exponential', delay: 2_000 },
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export function createGenerateQueue(connection: ConnectionOptions, prefix: string): Queue<GenerateJobData> {
  return new Queue<GenerateJobData>(GENERATE_QUEUE, { connection, prefix, defaultJobOptions: GENERATE_JOB_OPTIONS });
}

/** The BullMQ job id is the database job id, so the queue also refuses a duplicate add. */
export async function enqueueGenerate(queue: Queue<GenerateJobData>, data: GenerateJobData): Promise<void> {
  await queue.add(GENERATE_QUEUE, data, { jobId: data.jobId });
}

/** What the worker reports through `job.updateProgress` and QueueEvents carries to the api. */
export const jobProgressSchema = z.object({
  progress: z.number().int().min(0).max(100),
  stage: z.enum(STAGES),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;
