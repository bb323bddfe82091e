// The replica arithmetic, as plain functions: demand → raw recommendation → HPA-style
// stabilization windows and step policies → the floor of busy workers. No I/O here.
import type { QueueScalerSpec, ScalingRules } from './queue-scaler.ts';

/** HPA's defaults are 0 s up / 300 s down; a queue's demand is exact, so we settle faster. */
export const DEFAULT_SCALE_UP: Required<Pick<ScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy'>> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
};
export const DEFAULT_SCALE_DOWN: Required<Pick<ScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy'>> = {
  stabilizationWindowSeconds: 30,
  selectPolicy: 'Max',
};

export interface ScalingHistory {
  /** raw recommendations, newest last */
  recommendations: { atMs: number; replicas: number }[];
  /** applied changes, for the step policies */
  changes: { atMs: number; delta: number }[];
  /** last time the queue had anything waiting or active */
  lastActiveMs: number | undefined;
}

export function newHistory(): ScalingHistory {
  return { recommendations: [], changes: [], lastActiveMs: undefined };
}

export interface ScalingInput {
  spec: QueueScalerSpec;
  depth: number;
  /** jobs being processed right now (the queue is active while > 0) */
  active: number;
  currentReplicas: number;
  /** pods of the target that hold an active job */
  busyReplicas: number;
  nowMs: number;
}

export interface ScalingDecision {
  desired: number;
  /** ceil(depth / jobsPerReplica) within min and max, before behavior */
  recommended: number;
  reason: string;
}

export function rawRecommendation(spec: QueueScalerSpec, depth: number): number {
  const raw = depth <= 0 ? 0 : Math.ceil(depth / spec.jobsPerReplica);
  return Math.min(spec.maxReplicas, Math.max(spec.minReplicas, raw));
}

/** Decide the replica count; mutates `history` (records the recommendation and the change). */
export function decideReplicas(input: ScalingInput, history: ScalingHistory): ScalingDecision {
  const { spec, depth, active, currentReplicas: current, busyReplicas, nowMs } = input;
  if (depth > 0 || active > 0 || history.lastActiveMs === undefined) history.lastActiveMs = nowMs;

  const recommended = rawRecommendation(spec, depth);
  let reason = `depth ${depth} / ${spec.jobsPerReplica} per replica`;

  const up = { ...DEFAULT_SCALE_UP, ...spec.behavior.scaleUp };
  const down = { ...DEFAULT_SCALE_DOWN, ...spec.behavior.scaleDown };
  history.recommendations.push({ atMs: nowMs, replicas: recommended });
  const keepMs = Math.max(up.stabilizationWindowSeconds, down.stabilizationWindowSeconds) * 1000;
  history.recommendations = history.recommendations.filter((r) => nowMs - r.atMs <= keepMs);

  // Stabilization, as the HPA does it: scale up to the lowest recommendation of the up
  // window, down to the highest of the down window.
  let upRec = recommended;
  let downRec = recommended;
  for (const r of history.recommendations) {
    const age = nowMs - r.atMs;
    if (age <= up.stabilizationWindowSeconds * 1000) upRec = Math.min(upRec, r.replicas);
    if (age <= down.stabilizationWindowSeconds * 1000) downRec = Math.max(downRec, r.replicas);
  }
  // The last step, 1 → 0, is governed by cooldownSeconds (below), not by the down window.
  if (recommended === 0 && downRec === 1) downRec = 0;
  let desired = current;
  if (desired < upRec) desired = upRec;
  if (desired > downRec) desired = downRec;
  if (desired !== recommended && desired !== current) reason += `, stabilized to ${desired}`;

  // 1 → 0 only after cooldownSeconds with nothing waiting or active (the cooldown is the
  // stabilization of that last step; the down window applies to the steps before it).
  if (desired === 0 && current > 0 && nowMs - history.lastActiveMs < spec.cooldownSeconds * 1000) {
    desired = 1;
    reason = `queue empty, cooling down (${spec.cooldownSeconds}s) before zero`;
  }

  // Step policies.
  const maxPeriodMs =
    Math.max(0, ...(up.policies ?? []).map((p) => p.periodSeconds), ...(down.policies ?? []).map((p) => p.periodSeconds)) *
    1000;
  history.changes = history.changes.filter((c) => nowMs - c.atMs < maxPeriodMs);
  if (desired > current) {
    const limit = scaleUpLimit(up, current, history, nowMs);
    if (desired > limit) {
      desired = limit;
      reason += `, scale-up limited to ${limit} by behavior`;
    }
  } else if (desired < current) {
    const limit = scaleDownLimit(down, current, history, nowMs);
    if (desired < limit) {
      desired = limit;
      reason += `, scale-down limited to ${limit} by behavior`;
    }
  }

  // Never ask for fewer pods than are busy with a job (the ReplicaSet would pick a busy one).
  const floor = Math.min(current, busyReplicas);
  if (desired < floor) {
    desired = floor;
    reason += `, held at ${floor}: busy workers`;
  }
  return { desired, recommended, reason };
}

export function recordChange(history: ScalingHistory, delta: number, nowMs: number): void {
  if (delta !== 0) history.changes.push({ atMs: nowMs, delta });
}

function scaleUpLimit(rules: ScalingRules, current: number, history: ScalingHistory, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const policies = rules.policies ?? [];
  if (policies.length === 0) return Number.POSITIVE_INFINITY;
  const limits = policies.map((p) => {
    const added = history.changes
      .filter((c) => c.delta > 0 && nowMs - c.atMs < p.periodSeconds * 1000)
      .reduce((sum, c) => sum + c.delta, 0);
    const start = current - added;
    const limit = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    return Math.max(current, limit, p.type === 'Percent' && start === 0 ? 1 : 0);
  });
  return rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
}

function scaleDownLimit(rules: ScalingRules, current: number, history: ScalingHistory, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const policies = rules.policies ?? [];
  if (policies.length === 0) return 0;
  const limits = policies.map((p) => {
    const removed = history.changes
      .filter((c) => c.delta < 0 && nowMs - c.atMs < p.periodSeconds * 1000)
      .reduce((sum, c) => sum - c.delta, 0);
    const start = current + removed;
    const limit = p.type === 'Pods' ? start - p.value : Math.ceil(start * (1 - p.value / 100));
    return Math.min(current, Math.max(0, limit));
  });
  // Max = the policy allowing the most change = the lowest floor.
  return rules.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
}
