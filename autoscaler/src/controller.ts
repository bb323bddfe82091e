// The QueueScaler controller: informers (list + watch) on QueueScalers; per QueueScaler a
// poll timer plus a subscription to the queue's BullMQ events, so a burst is acted on in
// a fraction of a second; each reconcile reads the queue depth and the busy workers from
// Redis, decides the replicas, makes idle pods the cheapest to delete before a scale-in,
// scales the target's `scale` subresource, emits an Event, and writes the status.
import { makeInformer } from '@kubernetes/client-node';
import type { Informer, KubernetesObject, ObjectCache } from '@kubernetes/client-node';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { statusCode } from './kube.ts';
import type { Kube, PodInfo } from './kube.ts';
import type { AutoscalerMetrics } from './metrics.ts';
import { readBusyWorkers, readQueueDepth } from './queue-depth.ts';
import type { QueueDepth } from './queue-depth.ts';
import { GROUP, KIND, PAUSED_ANNOTATION, PLURAL, VERSION, parseSpec, setCondition } from './queue-scaler.ts';
import type { Condition, QueueScaler, QueueScalerSpec, QueueScalerStatus } from './queue-scaler.ts';
import { decideReplicas, newHistory, recordChange } from './scaling-policy.ts';
import type { ScalingHistory } from './scaling-policy.ts';

/** deletion cost of an idle worker pod: the ReplicaSet removes the lowest first */
export const IDLE_POD_COST = -100;
/** deletion cost of a pod holding a job */
export const BUSY_POD_COST = 1000;

export interface ControllerOptions {
  kube: Kube;
  log: Logger;
  metrics: AutoscalerMetrics;
  /** namespaces to watch; empty = all */
  namespaces: string[];
  /** Redis for QueueScalers without a secretRef */
  defaultRedisUrl: string;
  /** minimum gap between two event-triggered reconciles of one QueueScaler */
  eventDebounceMs?: number;
}

type Trigger = 'spec' | 'poll' | 'event';

interface Runtime {
  key: string;
  namespace: string;
  name: string;
  object: QueueScaler;
  generation: number | undefined;
  spec: QueueScalerSpec | undefined;
  history: ScalingHistory;
  redisUrl: string | undefined;
  redis: Redis | undefined;
  queueEvents: QueueEvents | undefined;
  queueEventsKey: string | undefined;
  pollTimer: NodeJS.Timeout | undefined;
  eventTimer: NodeJS.Timeout | undefined;
  lastEventReconcileMs: number;
  running: Promise<void> | undefined;
  again: Trigger | undefined;
  failures: number;
  inFallback: boolean;
  lastWarning: string | undefined;
  lastStatusJson: string | undefined;
  conditions: Condition[];
  lastScaleTime: string | undefined;
  stopped: boolean;
}

export class QueueScalerController {
  private readonly kube: Kube;
  private readonly log: Logger;
  private readonly metrics: AutoscalerMetrics;
  private readonly options: ControllerOptions;
  private readonly runtimes = new Map<string, Runtime>();
  private informers: (Informer<KubernetesObject> & ObjectCache<KubernetesObject>)[] = [];
  private stopped = false;
  /** true once every informer has listed */
  synced = false;

  constructor(options: ControllerOptions) {
    this.options = options;
    this.kube = options.kube;
    this.log = options.log.child({ component: 'controller' });
    this.metrics = options.metrics;
  }

  async start(): Promise<void> {
    this.stopped = false;
    const scopes = this.options.namespaces.length > 0 ? this.options.namespaces : [undefined];
    for (const namespace of scopes) {
      const path = namespace
        ? `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`
        : `/apis/${GROUP}/${VERSION}/${PLURAL}`;
      const informer = makeInformer<KubernetesObject>(this.kube.config, path, () =>
        this.kube.listQueueScalers(namespace) as never,
      );
      informer.on('add', (obj) => this.upsert(obj as QueueScaler));
      informer.on('update', (obj) => this.upsert(obj as QueueScaler));
      informer.on('delete', (obj) => void this.remove(obj as QueueScaler));
      informer.on('error', (err) => {
        if (this.stopped) return;
        this.log.warn({ err: String(err), path }, 'watch failed; restarting in 1 s');
        setTimeout(() => {
          if (!this.stopped) void informer.start().catch(() => undefined);
        }, 1000).unref();
      });
      this.informers.push(informer);
      await informer.start();
    }
    this.synced = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((i) => i.stop()));
    this.informers = [];
    await Promise.all([...this.runtimes.values()].map((r) => this.disposeRuntime(r)));
    this.runtimes.clear();
    this.synced = false;
  }

  /** Number of QueueScalers being reconciled (for tests and /readyz). */
  get size(): number {
    return this.runtimes.size;
  }

  private upsert(object: QueueScaler): void {
    if (this.stopped) return;
    const namespace = object.metadata.namespace ?? 'default';
    const name = object.metadata.name ?? '';
    const key = `${namespace}/${name}`;
    let runtime = this.runtimes.get(key);
    if (!runtime) {
      runtime = {
        key,
        namespace,
        name,
        object,
        generation: undefined,
        spec: undefined,
        history: newHistory(),
        redisUrl: undefined,
        redis: undefined,
        queueEvents: undefined,
        queueEventsKey: undefined,
        pollTimer: undefined,
        eventTimer: undefined,
        lastEventReconcileMs: 0,
        running: undefined,
        again: undefined,
        failures: 0,
        inFallback: false,
        lastWarning: undefined,
        lastStatusJson: undefined,
        conditions: object.status?.conditions ?? [],
        lastScaleTime: object.status?.lastScaleTime,
        stopped: false,
      };
      this.runtimes.set(key, runtime);
    }
    const annotationsChanged =
      (object.metadata.annotations?.[PAUSED_ANNOTATION] ?? '') !== (runtime.object.metadata.annotations?.[PAUSED_ANNOTATION] ?? '');
    runtime.object = object;
    // Status-only updates (our own writes) carry the same generation: nothing to do.
    if (runtime.generation !== object.metadata.generation || annotationsChanged) {
      runtime.generation = object.metadata.generation;
      runtime.lastWarning = undefined;
      this.trigger(runtime, 'spec');
    }
  }

  private async remove(object: QueueScaler): Promise<void> {
    const key = `${object.metadata.namespace ?? 'default'}/${object.metadata.name ?? ''}`;
    const runtime = this.runtimes.get(key);
    if (!runtime) return;
    this.runtimes.delete(key);
    await this.disposeRuntime(runtime);
    this.log.info({ queueScaler: key }, 'QueueScaler deleted; stopped scaling its target');
  }

  private async disposeRuntime(runtime: Runtime): Promise<void> {
    runtime.stopped = true;
    if (runtime.pollTimer) clearTimeout(runtime.pollTimer);
    if (runtime.eventTimer) clearTimeout(runtime.eventTimer);
    await runtime.running?.catch(() => undefined);
    await this.closeQueueConnections(runtime);
  }

  private async closeQueueConnections(runtime: Runtime): Promise<void> {
    const events = runtime.queueEvents;
    const redis = runtime.redis;
    runtime.queueEvents = undefined;
    runtime.queueEventsKey = undefined;
    runtime.redis = undefined;
    runtime.redisUrl = undefined;
    await events?.close().catch(() => undefined);
    redis?.disconnect();
  }

  /** Run a reconcile now (or right after the one in progress). */
  private trigger(runtime: Runtime, why: Trigger): void {
    if (runtime.stopped || this.stopped) return;
    if (runtime.running) {
      runtime.again = runtime.again === 'spec' ? 'spec' : why;
      return;
    }
    runtime.running = this.reconcile(runtime, why)
      .catch((err: unknown) => {
        this.metrics.errors.inc({ namespace: runtime.namespace, name: runtime.name, kind: 'kubernetes' });
        this.log.error({ err: String(err), queueScaler: runtime.key }, 'reconcile failed');
      })
      .finally(() => {
        runtime.running = undefined;
        const again = runtime.again;
        runtime.again = undefined;
        if (again) this.trigger(runtime, again);
        else this.schedulePoll(runtime);
      });
  }

  private schedulePoll(runtime: Runtime): void {
    if (runtime.stopped || this.stopped || !runtime.spec) return;
    if (runtime.pollTimer) clearTimeout(runtime.pollTimer);
    runtime.pollTimer = setTimeout(() => this.trigger(runtime, 'poll'), runtime.spec.pollingIntervalSeconds * 1000);
  }

  private onQueueEvent(runtime: Runtime): void {
    if (runtime.eventTimer || runtime.stopped) return;
    const debounce = this.options.eventDebounceMs ?? 200;
    const wait = Math.max(0, runtime.lastEventReconcileMs + debounce - Date.now());
    runtime.eventTimer = setTimeout(() => {
      runtime.eventTimer = undefined;
      runtime.lastEventReconcileMs = Date.now();
      this.trigger(runtime, 'event');
    }, wait);
  }

  private async ensureQueueConnections(runtime: Runtime, spec: QueueScalerSpec): Promise<Redis> {
    const url = spec.queue.redis
      ? await this.kube.readSecretValue(runtime.namespace, spec.queue.redis.secretRef.name, spec.queue.redis.secretRef.key)
      : this.options.defaultRedisUrl;
    const eventsKey = `${url}|${spec.queue.prefix}|${spec.queue.name}`;
    if (runtime.redisUrl !== url || runtime.queueEventsKey !== eventsKey) await this.closeQueueConnections(runtime);
    if (!runtime.redis) {
      // Fail fast while Redis is away: a reading either answers within a second or counts
      // as a failure towards the fallback.
      const redis = new Redis(url, {
        connectTimeout: 1000,
        commandTimeout: 1000,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: false,
        retryStrategy: (times) => Math.min(times * 200, 2000),
      });
      redis.on('error', () => undefined);
      runtime.redis = redis;
      runtime.redisUrl = url;
    }
    if (!runtime.queueEvents) {
      const events = new QueueEvents(spec.queue.name, {
        prefix: spec.queue.prefix,
        connection: { url, maxRetriesPerRequest: null, retryStrategy: (times: number) => Math.min(times * 200, 2000) },
        autorun: true,
      });
      events.on('error', () => undefined);
      for (const name of ['waiting', 'added', 'paused', 'resumed', 'drained', 'completed', 'failed', 'removed'] as const) {
        events.on(name, () => this.onQueueEvent(runtime));
      }
      runtime.queueEvents = events;
      runtime.queueEventsKey = eventsKey;
    }
    const redis = runtime.redis;
    if (redis.status !== 'ready') {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          redis.off('ready', done);
          resolve();
        };
        const timer = setTimeout(done, 1000);
        redis.once('ready', done);
      });
    }
    return redis;
  }

  private async reconcile(runtime: Runtime, trigger: Trigger): Promise<void> {
    const stopTimer = this.metrics.reconcileDuration.startTimer({ namespace: runtime.namespace, name: runtime.name, trigger });
    try {
      await this.reconcileOnce(runtime);
    } finally {
      stopTimer();
    }
  }

  private async reconcileOnce(runtime: Runtime): Promise<void> {
    const now = new Date();
    const labels = { namespace: runtime.namespace, name: runtime.name };
    const log = this.log.child({ queueScaler: runtime.key });
    const parsed = parseSpec(runtime.object.spec);
    if (!parsed.ok) {
      runtime.spec = undefined;
      await this.closeQueueConnections(runtime);
      this.metrics.errors.inc({ ...labels, kind: 'spec' });
      await this.reportProblem(runtime, 'InvalidSpec', `invalid spec: ${parsed.message}`, now);
      return;
    }
    const spec = parsed.spec;
    runtime.spec = spec;

    if (runtime.object.metadata.annotations?.[PAUSED_ANNOTATION] === 'true') {
      runtime.conditions = setCondition(runtime.conditions, { type: 'Paused', status: 'True', reason: 'PausedByAnnotation', message: `${PAUSED_ANNOTATION} is set; replicas are left alone` }, now);
      await this.writeStatus(runtime, {});
      return;
    }
    runtime.conditions = runtime.conditions.filter((c) => c.type !== 'Paused');

    let scale;
    try {
      scale = await this.kube.readScale(runtime.namespace, spec.targetRef.name);
    } catch (err) {
      if (statusCode(err) === 404) {
        this.metrics.errors.inc({ ...labels, kind: 'target' });
        await this.reportProblem(runtime, 'TargetNotFound', `Deployment ${runtime.namespace}/${spec.targetRef.name} not found`, now);
        return;
      }
      throw err;
    }
    const current = scale.replicas;

    let depth: QueueDepth | undefined;
    let busyByWorker = new Map<string, number>();
    try {
      const redis = await this.ensureQueueConnections(runtime, spec);
      depth = await readQueueDepth(redis, spec.queue);
      if (!spec.countDueDelayed && !depth.paused) depth.depth -= depth.delayedDue;
      busyByWorker = await readBusyWorkers(redis, spec.queue);
    } catch (err) {
      depth = undefined;
      runtime.failures += 1;
      this.metrics.errors.inc({ ...labels, kind: 'redis' });
      log.warn({ err: String(err), failures: runtime.failures }, 'could not read the queue');
    }

    const pods = scale.selector ? await this.kube.listPods(runtime.namespace, scale.selector) : [];
    const livePods = pods.filter((p) => !p.terminating);
    const busyPods = livePods.filter((p) => busyByWorker.has(p.name));

    let desired: number;
    let reason: string;
    if (depth) {
      if (runtime.inFallback) {
        runtime.inFallback = false;
        runtime.conditions = setCondition(runtime.conditions, { type: 'Fallback', status: 'False', reason: 'QueueReadable', message: 'the queue is readable again' }, now);
        await this.event(runtime, 'Normal', 'FallbackCleared', `queue ${spec.queue.prefix}:${spec.queue.name} is readable again`);
      }
      runtime.failures = 0;
      const decision = decideReplicas(
        { spec, depth: depth.depth, active: depth.active, currentReplicas: current, busyReplicas: busyPods.length, nowMs: now.getTime() },
        runtime.history,
      );
      desired = decision.desired;
      reason = decision.reason;
    } else if (runtime.failures >= spec.fallback.failureThreshold) {
      // Never scale to zero (or anywhere below what runs) on missing data.
      desired = spec.fallback.replicas ?? current;
      reason = `queue unreadable ${runtime.failures} times in a row: fallback to ${desired}`;
      if (!runtime.inFallback) {
        runtime.inFallback = true;
        runtime.conditions = setCondition(runtime.conditions, { type: 'Fallback', status: 'True', reason: 'QueueUnreadable', message: reason }, now);
        await this.event(runtime, 'Warning', 'FallbackActive', reason);
      }
    } else {
      desired = current;
      reason = 'queue unreadable; holding';
    }

    if (desired < current) desired = await this.prepareScaleIn(runtime, livePods, busyByWorker, current, desired);

    if (desired !== current) {
      await this.kube.setReplicas(runtime.namespace, spec.targetRef.name, desired);
      recordChange(runtime.history, desired - current, now.getTime());
      runtime.lastScaleTime = now.toISOString();
      const direction = desired > current ? 'up' : 'down';
      this.metrics.scalings.inc({ ...labels, direction });
      const message = `Scaled deployment ${spec.targetRef.name} from ${current} to ${desired}: ${reason}`;
      log.info({ from: current, to: desired, depth: depth?.depth, reason }, 'scaled');
      await this.event(runtime, 'Normal', direction === 'up' ? 'ScaledUp' : 'ScaledDown', message);
    }

    this.metrics.current.set(labels, desired);
    this.metrics.desired.set(labels, desired);
    this.metrics.busy.set(labels, busyPods.length);
    if (depth) this.metrics.depth.set(labels, depth.depth);

    runtime.conditions = setCondition(runtime.conditions, { type: 'Ready', status: 'True', reason: 'Reconciled', message: `scaling deployment ${spec.targetRef.name}` }, now);
    if (depth) {
      runtime.conditions = setCondition(
        runtime.conditions,
        depth.depth > 0
          ? { type: 'Active', status: 'True', reason: 'JobsPending', message: `${depth.depth} jobs waiting or active` }
          : { type: 'Active', status: 'False', reason: 'QueueEmpty', message: 'nothing waiting or active' },
        now,
      );
    }
    if (!runtime.conditions.some((c) => c.type === 'Fallback')) {
      runtime.conditions = setCondition(runtime.conditions, { type: 'Fallback', status: 'False', reason: 'QueueReadable', message: 'the queue is readable' }, now);
    }
    await this.writeStatus(runtime, {
      ...(depth ? { depth: depth.depth, waiting: depth.waiting, prioritized: depth.prioritized, active: depth.active } : {}),
      busyReplicas: busyPods.length,
      desiredReplicas: desired,
      currentReplicas: desired,
    });
  }

  /**
   * Before shrinking: give idle pods the lowest deletion cost and busy ones a high one, so
   * the ReplicaSet removes idle pods first; and never remove more pods than are idle.
   */
  private async prepareScaleIn(
    runtime: Runtime,
    pods: PodInfo[],
    busyByWorker: Map<string, number>,
    current: number,
    desired: number,
  ): Promise<number> {
    const idle = pods.filter((p) => !busyByWorker.has(p.name));
    const floor = Math.max(0, current - idle.length);
    const target = Math.max(desired, floor);
    if (target >= current) return current;
    await Promise.all(
      pods.map(async (pod) => {
        const cost = busyByWorker.has(pod.name) ? BUSY_POD_COST : IDLE_POD_COST;
        if (pod.deletionCost === String(cost)) return;
        try {
          await this.kube.setDeletionCost(runtime.namespace, pod.name, cost);
        } catch (err) {
          if (statusCode(err) !== 404) throw err; // a pod that went away needs no cost
        }
      }),
    );
    return target;
  }

  private async reportProblem(runtime: Runtime, reason: string, message: string, now: Date): Promise<void> {
    runtime.conditions = setCondition(runtime.conditions, { type: 'Ready', status: 'False', reason, message }, now);
    await this.writeStatus(runtime, {});
    if (runtime.lastWarning !== message) {
      runtime.lastWarning = message;
      this.log.warn({ queueScaler: runtime.key, reason }, message);
      await this.event(runtime, 'Warning', reason, message);
    }
  }

  private async writeStatus(runtime: Runtime, fields: QueueScalerStatus): Promise<void> {
    const status: QueueScalerStatus = {
      ...fields,
      observedGeneration: runtime.object.metadata.generation,
      ...(runtime.lastScaleTime ? { lastScaleTime: runtime.lastScaleTime } : {}),
      conditions: runtime.conditions,
    };
    const json = JSON.stringify(status);
    if (json === runtime.lastStatusJson) return;
    try {
      await this.kube.patchQueueScalerStatus(runtime.namespace, runtime.name, status);
      runtime.lastStatusJson = json;
    } catch (err) {
      if (statusCode(err) !== 404) throw err; // deleted meanwhile
    }
  }

  private async event(runtime: Runtime, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    try {
      await this.kube.createEvent({
        namespace: runtime.namespace,
        involved: { kind: KIND, apiVersion: `${GROUP}/${VERSION}`, name: runtime.name, uid: runtime.object.metadata.uid },
        type,
        reason,
        message,
      });
    } catch (err) {
      this.log.warn({ err: String(err), reason }, 'could not record an Event');
    }
  }
}
