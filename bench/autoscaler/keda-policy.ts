// A KEDA-equivalent policy, as KEDA's users run it for BullMQ: the Redis list scaler on the
// `wait` list only (listLength = jobs per replica), pollingInterval 30 s for activation
// (0 ↔ 1), cooldownPeriod 300 s before zero, and the HPA (sync every 15 s) with its default
// behavior: up = max(4 pods, 100 %) per 15 s, no stabilization; down = 100 % per 15 s after a
// 300 s stabilization window. The HPA arithmetic reuses our scaling-policy module with those
// settings; it knows nothing of active jobs or busy pods. Tolerance (10 %) is left out.
import type { Redis } from 'ioredis';
import type { Kube } from '../../autoscaler/src/kube.ts';
import { parseSpec } from '../../autoscaler/src/queue-scaler.ts';
import { decideReplicas, newHistory, recordChange } from '../../autoscaler/src/scaling-policy.ts';
import { realMs, simNow } from './sim-clock.ts';

export interface KedaPolicyOptions {
  kube: Kube;
  redis: Redis;
  namespace: string;
  deployment: string;
  listKey: string;
  jobsPerReplica: number;
  maxReplicas: number;
}

export function startKedaPolicy(options: KedaPolicyOptions): () => void {
  const parsed = parseSpec({
    targetRef: { name: options.deployment },
    queue: {},
    jobsPerReplica: options.jobsPerReplica,
    minReplicas: 0,
    maxReplicas: options.maxReplicas,
    cooldownSeconds: 300,
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }] },
      scaleDown: { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    },
  });
  if (!parsed.ok) throw new Error(parsed.message);
  const spec = parsed.spec;
  const history = newHistory();
  let tick = 0;
  let stopped = false;
  const timer = setInterval(() => {
    void (async () => {
      if (stopped) return;
      tick += 1;
      const nowSim = simNow();
      const { replicas: current } = await options.kube.readScale(options.namespace, options.deployment);
      const isPollTick = tick % 2 === 0; // KEDA polls every 30 s, the HPA syncs every 15 s
      if (current === 0 && !isPollTick) return; // at zero only KEDA's poll can activate
      const listLength = await options.redis.llen(options.listKey);
      let desired: number;
      if (current === 0) {
        desired = listLength > 0 ? 1 : 0; // activation
        if (desired > 0) history.lastActiveMs = nowSim * 1000;
      } else {
        desired = decideReplicas(
          { spec, depth: listLength, active: 0, currentReplicas: current, busyReplicas: 0, nowMs: nowSim * 1000 },
          history,
        ).desired;
        // KEDA's cooldown is checked at its 30 s polls
        if (desired === 0 && !isPollTick) desired = current;
      }
      if (desired !== current && !stopped) {
        await options.kube.setReplicas(options.namespace, options.deployment, desired);
        recordChange(history, desired - current, nowSim * 1000);
      }
    })().catch((err: unknown) => console.error('keda policy:', err));
  }, realMs(15));
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
