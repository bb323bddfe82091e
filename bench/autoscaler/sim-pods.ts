// Simulated worker pods: each Pod the (simulated) ReplicaSet creates becomes, after a start
// delay, a real BullMQ Worker named after the pod (as OPAD's worker names itself POD_NAME).
// A deleted pod gets SIGTERM: the worker stops taking jobs and finishes its job; if the
// grace period runs out first, the job is killed (counted as interrupted; BullMQ retries it).
import { Worker } from 'bullmq';
import type { Job } from 'bullmq';
import type { FakeKubeApi } from '../../autoscaler/src/testing/fake-kube-api.ts';
import { realMs, simNow } from './sim-clock.ts';

export interface PodSimOptions {
  deployment: string;
  queuePrefix: string;
  redisUrl: string;
  startDelaySeconds: number;
  gracePeriodSeconds: number;
}

interface SimPod {
  name: string;
  createdAt: number;
  stoppedAt: number | undefined;
  worker: Worker | undefined;
  startTimer: NodeJS.Timeout | undefined;
  abort: (() => void) | undefined;
}

export class PodSimulator {
  readonly options: PodSimOptions;
  readonly pods = new Map<string, SimPod>();
  interrupted = 0;
  /** job id → simulated time its completing attempt started */
  readonly started = new Map<string, number>();
  readonly completed = new Set<string>();
  private closing: Promise<void>[] = [];

  constructor(api: FakeKubeApi, options: PodSimOptions) {
    this.options = options;
    api.on('podCreated', (pod) => {
      if (pod.metadata.labels?.app !== options.deployment) return;
      this.create(pod.metadata.name as string);
    });
    api.on('podDeleted', (pod) => {
      if (pod.metadata.labels?.app !== options.deployment) return;
      this.closing.push(this.terminate(pod.metadata.name as string));
    });
  }

  /** pods that exist (starting, running or terminating) */
  livePods(): number {
    let n = 0;
    for (const pod of this.pods.values()) if (pod.stoppedAt === undefined) n += 1;
    return n;
  }

  /** replica-seconds (simulated) up to `until` */
  replicaSeconds(until: number): number {
    let total = 0;
    for (const pod of this.pods.values()) total += (pod.stoppedAt ?? until) - pod.createdAt;
    return total;
  }

  async stopAll(): Promise<void> {
    for (const pod of this.pods.values()) {
      if (pod.startTimer) clearTimeout(pod.startTimer);
      pod.abort?.();
      await pod.worker?.close(true);
      pod.stoppedAt ??= simNow();
    }
    await Promise.allSettled(this.closing);
  }

  private create(name: string): void {
    const pod: SimPod = { name, createdAt: simNow(), stoppedAt: undefined, worker: undefined, startTimer: undefined, abort: undefined };
    this.pods.set(name, pod);
    pod.startTimer = setTimeout(() => {
      pod.startTimer = undefined;
      pod.worker = new Worker('generate', (job: Job) => this.process(pod, job), {
        prefix: this.options.queuePrefix,
        connection: { url: this.options.redisUrl },
        name,
        concurrency: 1,
        // a killed job is retried at once (in a cluster: after its lock expires)
        lockDuration: 30_000,
      });
      pod.worker.on('error', () => undefined);
    }, realMs(this.options.startDelaySeconds));
  }

  private async process(pod: SimPod, job: Job): Promise<void> {
    const startedAt = simNow();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, realMs(job.data.duration as number));
      pod.abort = () => {
        clearTimeout(timer);
        reject(new Error('killed by scale-in'));
      };
    }).finally(() => {
      pod.abort = undefined;
    });
    this.started.set(job.id!, startedAt);
    this.completed.add(job.id!);
  }

  private async terminate(name: string): Promise<void> {
    const pod = this.pods.get(name);
    if (!pod || pod.stoppedAt !== undefined) return;
    if (pod.startTimer) {
      clearTimeout(pod.startTimer); // never started
      pod.stoppedAt = simNow();
      return;
    }
    const worker = pod.worker!;
    const graceful = worker.close(); // SIGTERM: finish the job in hand, take no new one
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), realMs(this.options.gracePeriodSeconds))));
    const outcome = await Promise.race([graceful.then(() => 'done' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      if (pod.abort) {
        this.interrupted += 1; // SIGKILL with a job in hand
        pod.abort();
      }
      await worker.close(true);
    }
    pod.stoppedAt = simNow();
  }
}
