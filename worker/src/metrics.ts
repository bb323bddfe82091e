import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The worker's Prometheus metrics, on a registry of its own (tests create several workers). */
export function createWorkerMetrics(defaults = true) {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry, prefix: 'opad_worker_' });
  const durationBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
  return {
    registry,
    jobsCompleted: new Counter({ name: 'opad_worker_jobs_completed_total', help: 'Generation jobs that succeeded', labelNames: ['generator'], registers: [registry] }),
    jobsFailed: new Counter({
      name: 'opad_worker_jobs_failed_total',
      help: 'Generation job attempts that failed, by error code and whether it was final',
      labelNames: ['code', 'final'],
      registers: [registry],
    }),
    jobDuration: new Histogram({ name: 'opad_worker_job_duration_seconds', help: 'Time from pickup to a terminal state', labelNames: ['outcome'], buckets: durationBuckets, registers: [registry] }),
    stageDuration: new Histogram({ name: 'opad_worker_stage_duration_seconds', help: 'Time spent in each pipeline stage', labelNames: ['stage'], buckets: durationBuckets, registers: [registry] }),
    llmTokens: new Counter({ name: 'opad_worker_llm_tokens_total', help: 'LLM tokens used', labelNames: ['direction'], registers: [registry] }),
    activeJobs: new Gauge({ name: 'opad_worker_active_jobs', help: 'Jobs this process is running now', registers: [registry] }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
