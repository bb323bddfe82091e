// The QueueScaler custom resource (opad.dev/v1alpha1): its TypeScript shape and the
// validation the controller applies on top of the CRD's OpenAPI schema (which a real API
// server enforces, but a QueueScaler may predate a schema change, and min <= max is
// checked here too).
import { z } from 'zod';

export const GROUP = 'opad.dev';
export const VERSION = 'v1alpha1';
export const PLURAL = 'queuescalers';
export const KIND = 'QueueScaler';

const scalingPolicySchema = z.object({
  type: z.enum(['Pods', 'Percent']),
  value: z.number().int().min(1),
  periodSeconds: z.number().min(0.1).max(1800),
});

const scalingRulesSchema = z.object({
  stabilizationWindowSeconds: z.number().min(0).max(3600).optional(),
  selectPolicy: z.enum(['Max', 'Min', 'Disabled']).optional(),
  policies: z.array(scalingPolicySchema).optional(),
});

export const queueScalerSpecSchema = z
  .object({
    targetRef: z.object({
      apiVersion: z.string().default('apps/v1'),
      kind: z.literal('Deployment').default('Deployment'),
      name: z.string().min(1),
    }),
    queue: z.object({
      name: z.string().min(1).default('generate'),
      prefix: z.string().min(1).default('opad'),
      redis: z
        .object({
          /** a Secret in the QueueScaler's namespace holding the Redis URL */
          secretRef: z.object({ name: z.string().min(1), key: z.string().min(1).default('url') }),
        })
        .optional(),
    }),
    jobsPerReplica: z.number().int().min(1).default(1),
    minReplicas: z.number().int().min(0).default(0),
    maxReplicas: z.number().int().min(1).default(10),
    pollingIntervalSeconds: z.number().min(0.1).max(3600).default(5),
    cooldownSeconds: z.number().min(0).max(86400).default(60),
    countDueDelayed: z.boolean().default(true),
    behavior: z
      .object({
        scaleUp: scalingRulesSchema.optional(),
        scaleDown: scalingRulesSchema.optional(),
      })
      .default({}),
    fallback: z
      .object({
        failureThreshold: z.number().int().min(1).default(3),
        /** replicas to hold while the queue cannot be read; absent = hold the current count */
        replicas: z.number().int().min(1).optional(),
      })
      .default({ failureThreshold: 3 }),
  })
  .refine((spec) => spec.minReplicas <= spec.maxReplicas, {
    message: 'minReplicas must not exceed maxReplicas',
    path: ['maxReplicas'],
  });

export type QueueScalerSpec = z.infer<typeof queueScalerSpecSchema>;
export type ScalingRules = z.infer<typeof scalingRulesSchema>;
export type ScalingPolicy = z.infer<typeof scalingPolicySchema>;

export interface Condition {
  type: 'Ready' | 'Active' | 'Fallback' | 'Paused';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface QueueScalerStatus {
  observedGeneration?: number;
  depth?: number;
  waiting?: number;
  prioritized?: number;
  active?: number;
  busyReplicas?: number;
  desiredReplicas?: number;
  currentReplicas?: number;
  lastScaleTime?: string;
  lastActiveTime?: string;
  conditions?: Condition[];
}

export interface QueueScaler {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: QueueScalerStatus;
}

/** annotation that pauses scaling for one QueueScaler (KEDA's autoscaling.keda.sh/paused) */
export const PAUSED_ANNOTATION = 'opad.dev/paused';

export type SpecResult = { ok: true; spec: QueueScalerSpec } | { ok: false; message: string };

export function parseSpec(raw: unknown): SpecResult {
  const parsed = queueScalerSpecSchema.safeParse(raw ?? {});
  if (parsed.success) return { ok: true, spec: parsed.data };
  const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`).join('; ');
  return { ok: false, message };
}

export function setCondition(
  conditions: Condition[] | undefined,
  next: Omit<Condition, 'lastTransitionTime'>,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const condition: Condition = { ...next, lastTransitionTime };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}
