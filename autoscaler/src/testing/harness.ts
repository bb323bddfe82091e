// Test support: a simulated API server, a QueueScaler on it, and autoscaler instances
// driven through the real @kubernetes/client-node client.
import { pino } from 'pino';
import { Autoscaler } from '../autoscaler.ts';
import type { AutoscalerOptions } from '../autoscaler.ts';
import { FakeKubeApi } from './fake-kube-api.ts';

export const NAMESPACE = 'opad';

export const quietLog = pino({ level: process.env.AUTOSCALER_TEST_LOG ?? 'silent' });

export async function startFakeKube(): Promise<FakeKubeApi> {
  const api = new FakeKubeApi();
  await api.start();
  return api;
}

export function queueScaler(name: string, spec: Record<string, unknown>, namespace = NAMESPACE): Record<string, unknown> {
  return { apiVersion: 'opad.dev/v1alpha1', kind: 'QueueScaler', metadata: { name, namespace }, spec };
}

export function startAutoscaler(
  api: FakeKubeApi,
  redisUrl: string,
  token = 'autoscaler',
  extra: Partial<AutoscalerOptions> = {},
): Autoscaler {
  const autoscaler = new Autoscaler({
    kubeConfig: api.kubeConfig(token),
    log: quietLog,
    identity: token,
    namespaces: [NAMESPACE],
    defaultRedisUrl: redisUrl,
    eventDebounceMs: 50,
    ...extra,
  });
  autoscaler.start();
  return autoscaler;
}

export async function waitFor<T>(probe: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Records every replica change of a Deployment, with the time it happened. */
export function recordReplicas(api: FakeKubeApi, name: string): { at: number; replicas: number }[] {
  const history: { at: number; replicas: number }[] = [];
  api.on('scaled', (_ns, deployment, replicas) => {
    if (deployment !== name) return;
    if (history.at(-1)?.replicas !== replicas) history.push({ at: Date.now(), replicas });
  });
  return history;
}
