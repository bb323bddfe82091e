// The one module that talks to the Kubernetes API (through @kubernetes/client-node).
import {
  AppsV1Api,
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from './queue-scaler.ts';
import type { QueueScaler, QueueScalerStatus } from './queue-scaler.ts';

export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface TargetScale {
  replicas: number;
  /** label selector of the target's pods, as the scale subresource reports it */
  selector: string;
}

export interface PodInfo {
  name: string;
  deletionCost: string | undefined;
  terminating: boolean;
}

export interface EventInput {
  namespace: string;
  involved: { kind: string; apiVersion: string; name: string; uid?: string | undefined };
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.code ?? (err as { statusCode?: unknown })?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

export class Kube {
  readonly config: KubeConfig;
  readonly apps: AppsV1Api;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;
  readonly coordination: CoordinationV1Api;
  readonly reportingInstance: string;

  constructor(config: KubeConfig, reportingInstance: string) {
    this.config = config;
    this.apps = config.makeApiClient(AppsV1Api);
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.coordination = config.makeApiClient(CoordinationV1Api);
    this.reportingInstance = reportingInstance;
  }

  async listQueueScalers(namespace: string | undefined): Promise<{ items: QueueScaler[]; metadata?: { resourceVersion?: string } }> {
    const list = namespace
      ? await this.custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace, plural: PLURAL })
      : await this.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL });
    return list as { items: QueueScaler[] };
  }

  async patchQueueScalerStatus(namespace: string, name: string, status: QueueScalerStatus): Promise<void> {
    await this.custom.patchNamespacedCustomObjectStatus(
      { group: GROUP, version: VERSION, namespace, plural: PLURAL, name, body: { status } },
      mergePatch,
    );
  }

  async readScale(namespace: string, name: string): Promise<TargetScale> {
    const scale = await this.apps.readNamespacedDeploymentScale({ namespace, name });
    return { replicas: scale.spec?.replicas ?? 0, selector: scale.status?.selector ?? '' };
  }

  async setReplicas(namespace: string, name: string, replicas: number): Promise<void> {
    await this.apps.patchNamespacedDeploymentScale({ namespace, name, body: { spec: { replicas } } }, mergePatch);
  }

  async listPods(namespace: string, labelSelector: string): Promise<PodInfo[]> {
    const list = await this.core.listNamespacedPod({ namespace, labelSelector });
    return list.items.map((pod) => ({
      name: pod.metadata?.name ?? '',
      deletionCost: pod.metadata?.annotations?.[DELETION_COST_ANNOTATION],
      terminating: Boolean(pod.metadata?.deletionTimestamp),
    }));
  }

  async setDeletionCost(namespace: string, name: string, cost: number): Promise<void> {
    await this.core.patchNamespacedPod(
      { namespace, name, body: { metadata: { annotations: { [DELETION_COST_ANNOTATION]: String(cost) } } } },
      mergePatch,
    );
  }

  async readSecretValue(namespace: string, name: string, key: string): Promise<string> {
    const secret = await this.core.readNamespacedSecret({ namespace, name });
    const value = secret.data?.[key];
    if (value === undefined) throw new Error(`secret ${namespace}/${name} has no key "${key}"`);
    return Buffer.from(value, 'base64').toString('utf8');
  }

  async createEvent(input: EventInput): Promise<void> {
    const now = new Date();
    await this.core.createNamespacedEvent({
      namespace: input.namespace,
      body: {
        metadata: { generateName: `${input.involved.name}.`, namespace: input.namespace },
        involvedObject: { ...input.involved, namespace: input.namespace },
        type: input.type,
        reason: input.reason,
        message: input.message,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: 'opad-autoscaler' },
        reportingComponent: 'opad.dev/autoscaler',
        reportingInstance: this.reportingInstance,
      },
    });
  }
}
