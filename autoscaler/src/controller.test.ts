// The controller against a simulated Kubernetes API server (real @kubernetes/client-node,
// real Redis, real BullMQ): the scenarios of issue 5.
import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { getRedisUrl, startRedisServer, uniquePrefix } from '@opad/core/testing/redis';
import type { Autoscaler } from './autoscaler.ts';
import { BUSY_POD_COST, IDLE_POD_COST } from './controller.ts';
import { DELETION_COST_ANNOTATION } from './kube.ts';
import type { FakeKubeApi } from './testing/fake-kube-api.ts';
import { NAMESPACE, queueScaler, recordReplicas, sleep, startAutoscaler, startFakeKube, waitFor } from './testing/harness.ts';

const redisUrl = getRedisUrl();
const QS = 'opad.dev/v1alpha1/queuescalers';

let api: FakeKubeApi;
let prefix: string;
let queue: Queue;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

beforeEach(async () => {
  api = await startFakeKube();
  prefix = uniquePrefix('as');
  queue = new Queue('generate', { prefix, connection: { url: redisUrl } });
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await queue.obliterate({ force: true }).catch(() => undefined);
  await queue.close();
  await api.stop();
});

function run(token = 'autoscaler', extra: Parameters<typeof startAutoscaler>[3] = {}): Autoscaler {
  const autoscaler = startAutoscaler(api, redisUrl, token, extra);
  cleanups.push(() => autoscaler.stop());
  return autoscaler;
}

function spec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    targetRef: { name: 'worker' },
    queue: { name: 'generate', prefix },
    jobsPerReplica: 1,
    minReplicas: 0,
    maxReplicas: 10,
    pollingIntervalSeconds: 30,
    cooldownSeconds: 60,
    ...overrides,
  };
}

function statusOf(name: string): Record<string, any> | undefined {
  return api.get(QS, NAMESPACE, name)?.status;
}

function condition(name: string, type: string): Record<string, any> | undefined {
  return statusOf(name)?.conditions?.find((c: { type: string }) => c.type === type);
}

function events(reason: string, involved?: string): Record<string, any>[] {
  return api.list('v1/events', NAMESPACE).filter((e) => e.reason === reason && (!involved || e.involvedObject.name === involved));
}

describe('QueueScaler controller', () => {
  it('scales to max within 2 s when 200 jobs arrive (queue events, not polling)', async () => {
    api.createDeployment(NAMESPACE, 'worker', 0);
    api.apply(QS, queueScaler('worker', spec({ pollingIntervalSeconds: 60 })));
    run();
    await waitFor(() => statusOf('worker')?.conditions, 5000, 'first reconcile');
    const start = Date.now();
    await queue.addBulk(Array.from({ length: 200 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 10, 2000, 'replicas at max');
    const elapsed = Date.now() - start;
    expect(elapsed).toBeLessThan(2000);
    await waitFor(() => statusOf('worker')?.depth === 200, 2000, 'status depth');
    expect(statusOf('worker')).toMatchObject({ desiredReplicas: 10, currentReplicas: 10, waiting: 200 });
    expect(condition('worker', 'Active')?.status).toBe('True');
    expect(events('ScaledUp', 'worker').length).toBeGreaterThan(0);
    expect(api.list('v1/pods', NAMESPACE)).toHaveLength(10);
  });

  it('drains back to min step by step as the scale-down behavior says', async () => {
    api.createDeployment(NAMESPACE, 'worker', 1);
    const history = recordReplicas(api, 'worker');
    api.apply(
      QS,
      queueScaler(
        'worker',
        spec({
          minReplicas: 1,
          maxReplicas: 8,
          pollingIntervalSeconds: 0.2,
          behavior: { scaleDown: { stabilizationWindowSeconds: 0.5, policies: [{ type: 'Pods', value: 2, periodSeconds: 1 }] } },
        }),
      ),
    );
    run();
    await queue.addBulk(Array.from({ length: 8 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 8, 2000, 'scaled to 8');
    // The steps after the scale-up: by position, not by time (the step to 8 can share drainedAt's millisecond).
    const scaledUp = history.length;
    const drainedAt = Date.now();
    await queue.drain();
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 1, 8000, 'back to min');
    const down = history.slice(scaledUp);
    expect(down.map((h) => h.replicas)).toEqual([6, 4, 2, 1]);
    // no step before the stabilization window, and at most 2 pods per second
    expect(down[0]!.at - drainedAt).toBeGreaterThanOrEqual(450);
    for (let i = 1; i < down.length; i += 1) expect(down[i]!.at - down[i - 1]!.at).toBeGreaterThanOrEqual(900);
    await sleep(600);
    expect(api.replicasOf(NAMESPACE, 'worker')).toBe(1); // never below min
  });

  it('wakes a queue scaled to zero on one job and returns to zero only after the cooldown', async () => {
    api.createDeployment(NAMESPACE, 'worker', 0);
    const history = recordReplicas(api, 'worker');
    api.apply(QS, queueScaler('worker', spec({ pollingIntervalSeconds: 0.2, cooldownSeconds: 1.5 })));
    run();
    await waitFor(() => statusOf('worker')?.conditions, 5000, 'first reconcile');
    await sleep(300);
    expect(api.replicasOf(NAMESPACE, 'worker')).toBe(0);
    const added = Date.now();
    const job = await queue.add('generate', { one: true });
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 1, 1000, 'woken to 1');
    expect(Date.now() - added).toBeLessThan(1000);
    await job.remove();
    const emptiedAt = Date.now();
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 0, 5000, 'back to zero');
    const zeroAt = history.at(-1)!.at;
    expect(zeroAt - emptiedAt).toBeGreaterThanOrEqual(1300);
    expect(history.map((h) => h.replicas)).toEqual([1, 0]);
  });

  it('counts prioritized and due delayed jobs, leaves future delayed out, and scales a paused queue down', async () => {
    api.createDeployment(NAMESPACE, 'worker', 0);
    await queue.addBulk([
      ...Array.from({ length: 3 }, (_, i) => ({ name: 'generate', data: { i }, opts: { priority: 1 + i } })),
      ...Array.from({ length: 2 }, (_, i) => ({ name: 'generate', data: { i }, opts: { delay: 100 } })),
      ...Array.from({ length: 4 }, (_, i) => ({ name: 'generate', data: { i }, opts: { delay: 3_600_000 } })),
    ]);
    await sleep(150); // the short delays are now due; no worker runs to promote them
    expect(await queue.getWaitingCount()).toBe(0); // what a wait-list-only scaler would see
    api.apply(
      QS,
      queueScaler(
        'worker',
        spec({ pollingIntervalSeconds: 0.2, cooldownSeconds: 0.5, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }),
      ),
    );
    run();
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 5, 3000, '3 prioritized + 2 due delayed');
    await waitFor(() => statusOf('worker')?.depth === 5, 2000, 'status depth');
    expect(statusOf('worker')).toMatchObject({ depth: 5, prioritized: 3, waiting: 0, active: 0 });
    await queue.pause();
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 0, 5000, 'paused queue scaled to zero');
    expect(condition('worker', 'Active')?.status).toBe('False');
  });

  it('falls back when Redis is unreachable and never scales to zero', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const privateQueue = new Queue('generate', { prefix, connection: { url: redis.url, maxRetriesPerRequest: 1 } });
    privateQueue.on('error', () => undefined);
    cleanups.push(() => privateQueue.close().catch(() => undefined));
    api.apply('v1/secrets', {
      metadata: { name: 'queue-redis', namespace: NAMESPACE },
      data: { url: Buffer.from(redis.url).toString('base64') },
    });
    api.createDeployment(NAMESPACE, 'worker', 0);
    const history = recordReplicas(api, 'worker');
    api.apply(
      QS,
      queueScaler(
        'worker',
        spec({
          queue: { name: 'generate', prefix, redis: { secretRef: { name: 'queue-redis' } } },
          pollingIntervalSeconds: 0.2,
          cooldownSeconds: 0.2,
          behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
          fallback: { failureThreshold: 3, replicas: 2 },
        }),
      ),
    );
    run();
    await privateQueue.addBulk(Array.from({ length: 5 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 5, 2000, 'scaled to 5');
    await privateQueue.close();
    await redis.stop();
    await waitFor(() => condition('worker', 'Fallback')?.status === 'True', 5000, 'Fallback condition');
    expect(api.replicasOf(NAMESPACE, 'worker')).toBe(2);
    expect(events('FallbackActive', 'worker')).toHaveLength(1);
    await sleep(1000); // many more failed polls
    expect(api.replicasOf(NAMESPACE, 'worker')).toBe(2);
    expect(history.every((h, i) => i === 0 || h.replicas > 0)).toBe(true);
    // Redis back (empty): the fallback clears and the scaler follows the queue again.
    await redis.start();
    await waitFor(() => condition('worker', 'Fallback')?.status === 'False', 6000, 'Fallback cleared');
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 0, 5000, 'empty queue → zero');
  });

  it('lets only the leader write when two instances run, and hands over when it stops', async () => {
    api.createDeployment(NAMESPACE, 'worker', 0);
    api.apply(QS, queueScaler('worker', spec({ pollingIntervalSeconds: 0.2 })));
    const leaderElection = { namespace: NAMESPACE, name: 'opad-autoscaler', leaseDurationSeconds: 2, renewDeadlineSeconds: 1.5, retryPeriodSeconds: 0.2 };
    const a = run('replica-a', { leaderElection });
    const b = run('replica-b', { leaderElection });
    await waitFor(() => a.isLeader || b.isLeader, 3000, 'a leader');
    await sleep(500);
    expect(a.isLeader && b.isLeader).toBe(false);
    const [leader, follower, followerToken] = a.isLeader ? [a, b, 'replica-b'] : [b, a, 'replica-a'];
    await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 3, 2000, 'scaled by the leader');
    await sleep(500);
    const followerWrites = api.writesBy(followerToken).filter((r) => !r.path.includes('/leases'));
    expect(followerWrites).toEqual([]);
    expect(api.get('coordination.k8s.io/v1/leases', NAMESPACE, 'opad-autoscaler')?.spec.holderIdentity).toBe(
      a.isLeader ? 'replica-a' : 'replica-b',
    );
    // The two raced for the Lease: at least one of them was answered 409 Conflict or lost the create.
    await leader.stop();
    await waitFor(() => follower.isLeader, 3000, 'the other replica takes over');
    await queue.addBulk(Array.from({ length: 2 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 5, 2000, 'scaled by the new leader');
    expect(api.writesBy(followerToken).filter((r) => r.path.includes('/scale')).length).toBeGreaterThan(0);
  });

  it('gives idle pods the lower deletion cost so a scale-in removes idle workers, never a busy one', async () => {
    const releases = new Map<string, () => void>();
    const workers = new Map<string, Worker>();
    api.on('podCreated', (pod) => {
      const name = pod.metadata.name as string;
      const worker = new Worker(
        'generate',
        (job: Job) => new Promise<void>((resolve) => releases.set(job.id!, resolve)),
        { prefix, connection: { url: redisUrl }, name, concurrency: 1 },
      );
      workers.set(name, worker);
    });
    cleanups.push(async () => {
      for (const release of releases.values()) release();
      await Promise.all([...workers.values()].map((w) => w.close(true)));
    });
    api.createDeployment(NAMESPACE, 'worker', 0);
    api.apply(
      QS,
      queueScaler(
        'worker',
        spec({ maxReplicas: 4, pollingIntervalSeconds: 0.2, behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } }),
      ),
    );
    run();
    const jobs = await queue.addBulk(Array.from({ length: 4 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => releases.size === 4, 5000, 'four pods busy');
    expect(api.replicasOf(NAMESPACE, 'worker')).toBe(4);
    // Finish three jobs: one pod stays busy with the fourth.
    const keep = jobs[3]!;
    for (const job of jobs.slice(0, 3)) releases.get(job.id!)!();
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 1, 4000, 'scaled in to 1');
    const busyPod = (await queue.getJob(keep.id!))!.processedBy;
    expect(busyPod).toBeTruthy();
    const remaining = api.list('v1/pods', NAMESPACE);
    expect(remaining.map((p) => p.metadata.name)).toEqual([busyPod]);
    expect(remaining[0]!.metadata.annotations[DELETION_COST_ANNOTATION]).toBe(String(BUSY_POD_COST));
    expect(api.deletedPods).toHaveLength(3);
    for (const pod of api.deletedPods) expect(pod.metadata.annotations[DELETION_COST_ANNOTATION]).toBe(String(IDLE_POD_COST));
    expect(await queue.getJobState(keep.id!)).toBe('active'); // the busy job was never interrupted
    releases.get(keep.id!)!();
    await waitFor(async () => (await queue.getJobState(keep.id!)) === 'completed', 3000, 'job completes');
  });

  it('reports an invalid QueueScaler with a condition and an Event and keeps scaling the others', async () => {
    api.createDeployment(NAMESPACE, 'worker', 0);
    api.apply(QS, queueScaler('bad-range', spec({ minReplicas: 5, maxReplicas: 2 })));
    api.apply(QS, queueScaler('ghost', spec({ targetRef: { name: 'no-such-deployment' } })));
    api.apply(QS, queueScaler('worker', spec({ pollingIntervalSeconds: 0.2 })));
    run();
    await waitFor(() => condition('bad-range', 'Ready')?.status === 'False', 3000, 'bad-range condition');
    expect(condition('bad-range', 'Ready')).toMatchObject({ reason: 'InvalidSpec' });
    expect(condition('bad-range', 'Ready')?.message).toMatch(/minReplicas must not exceed maxReplicas/);
    await waitFor(() => condition('ghost', 'Ready')?.status === 'False', 3000, 'ghost condition');
    expect(condition('ghost', 'Ready')).toMatchObject({ reason: 'TargetNotFound' });
    await waitFor(() => events('InvalidSpec', 'bad-range').length === 1 && events('TargetNotFound', 'ghost').length === 1, 3000, 'Warning events');
    expect(events('InvalidSpec', 'bad-range')[0]!.type).toBe('Warning');
    await queue.addBulk(Array.from({ length: 3 }, (_, i) => ({ name: 'generate', data: { i } })));
    await waitFor(() => api.replicasOf(NAMESPACE, 'worker') === 3, 2000, 'the valid QueueScaler still scales');
    // Fixing the spec clears the condition.
    api.apply(QS, queueScaler('bad-range', spec({ targetRef: { name: 'worker' }, minReplicas: 1, maxReplicas: 2 })));
    await waitFor(() => condition('bad-range', 'Ready')?.status === 'True', 3000, 'fixed spec reconciled');
    await sleep(300);
    expect(events('InvalidSpec', 'bad-range')).toHaveLength(1); // reported once, not on every poll
  });
});
