/**
 * Chart checks (vitest project "deploy"): lint, render with several value sets, validate every
 * object against the Kubernetes schemas, and assert what matters for OPAD - security context,
 * probes and resource requests on every container, the worker's grace period, the migration
 * hook Job, the helm test hooks, values.schema.json, and that each Deployment provides every
 * variable its service's zod configSchema requires (so chart and code cannot drift).
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requiredEnvVars, loadConfig } from '@opad/core/config';
import { configSchema as apiSchema } from '../../api/src/config.ts';
import { configSchema as workerSchema } from '../../worker/src/config.ts';
import { configSchema as webSchema } from '../../web/app/config.server.ts';
import {
  CHARTS, ROOT, byKind, find, podSpec, resolveEnv, runHelm, template, validateObject, valuesFile,
  type Container, type K8sObject,
} from './helm.ts';

type Service = 'api' | 'worker' | 'web';
const SERVICES: Service[] = ['api', 'worker', 'web'];
const SCHEMAS = { api: apiSchema, worker: workerSchema, web: webSchema } as const;
/** Variables the contract (DESIGN.md) requires in a cluster even where the schema has a local default. */
const CONTRACT_REQUIRED: Record<Service, string[]> = {
  api: ['DATABASE_URL', 'REDIS_URL'],
  worker: ['DATABASE_URL', 'REDIS_URL'],
  web: ['API_BASE_URL'],
};
const DIGEST = `sha256:${'a'.repeat(64)}`;

// ---- value sets ---------------------------------------------------------------------------

const serviceSets = (svc: Service): Record<string, object> => {
  const withIngress = svc !== 'worker';
  const sets: Record<string, object> = {
    defaults: {},
    existingSecret: { existingSecret: 'opad-credentials' },
    production: {
      image: { registry: 'registry.example.com', repository: `opad/${svc}`, tag: '1.2.3', digest: DIGEST },
      replicaCount: 3,
      existingSecret: 'opad-prod',
      otel: { endpoint: 'http://otel-collector.observability:4318', resourceAttributes: 'deployment.environment=prod' },
      resources: { requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } },
      topologySpread: { whenUnsatisfiable: 'DoNotSchedule' },
      ...(svc === 'worker'
        ? { autoscaling: { enabled: true }, env: { WORKER_CONCURRENCY: '4', S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com', S3_REGION: 'auto', S3_FORCE_PATH_STYLE: 'false' } }
        : { autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 10 } }),
      ...(withIngress ? { ingress: { enabled: true, className: 'nginx', hostname: `${svc}.example.com`, tls: true } } : {}),
      ...(svc === 'web' ? { env: { API_BASE_URL: 'http://opad-api.opad.svc:8080' } } : {}),
    },
  };
  if (withIngress) sets.ingress = { ingress: { enabled: true, hostname: `${svc}.opad.test`, tls: true, extraHosts: [{ name: `www.${svc}.opad.test` }] } };
  return sets;
};

const umbrellaSets: Record<string, object> = {
  defaults: {},
  production: {
    global: {
      imageRegistry: 'registry.example.com',
      opad: {
        imageTag: '1.2.3',
        existingSecret: 'opad-prod',
        env: { LOG_LEVEL: 'warn', S3_ENDPOINT: 'https://acct.r2.cloudflarestorage.com', S3_BUCKET: 'opad-prod', S3_REGION: 'auto', S3_FORCE_PATH_STYLE: 'false', OPENAI_MODEL: 'gpt-4o-mini' },
        otel: { endpoint: 'http://otel-collector.observability:4318', resourceAttributes: 'deployment.environment=prod' },
      },
    },
    api: { replicaCount: 3, ingress: { enabled: true, hostname: 'api.example.com', tls: true } },
    web: { replicaCount: 3, ingress: { enabled: true, hostname: 'opad.example.com', tls: true } },
    worker: { replicaCount: 2 },
  },
  keda: { keda: { enabled: true, redis: { address: 'redis:6379', passwordSecret: { name: 'redis-auth', key: 'password' } } }, worker: { autoscaling: { enabled: true } } },
  ingress: { api: { ingress: { enabled: true, hostname: 'api.opad.test' } }, web: { ingress: { enabled: true, hostname: 'opad.test' } } },
  existingSecret: { global: { opad: { existingSecret: 'opad-credentials' } } },
  sharedSecrets: {
    global: { opad: { secretEnv: { DATABASE_URL: 'postgres://u:p@db.internal:5432/opad', REDIS_URL: 'rediss://cache.internal:6380', OPENAI_API_KEY: 'sk-test' } } },
  },
};

// The OPAD autoscaler (charts/autoscaler, its own issue) as the worker's replica owner.
const HAS_AUTOSCALER = existsSync(join(CHARTS, 'autoscaler/Chart.yaml'));
if (HAS_AUTOSCALER) umbrellaSets.autoscaler = { autoscaler: { enabled: true }, worker: { autoscaling: { enabled: true } } };

const renders: { chart: string; set: string; values: object }[] = [
  ...Object.entries(umbrellaSets).map(([set, values]) => ({ chart: 'opad', set, values })),
  ...SERVICES.flatMap((svc) => Object.entries(serviceSets(svc)).map(([set, values]) => ({ chart: svc, set, values }))),
];
const rendered = new Map<string, K8sObject[]>();
const render = (chart: string, set: string, values: object) => {
  const key = `${chart}/${set}`;
  if (!rendered.has(key)) rendered.set(key, template(chart, values));
  return rendered.get(key)!;
};

// ---- helpers ----------------------------------------------------------------------------

const workloads = (objs: K8sObject[]) => objs.filter((o) => ['Deployment', 'Job', 'Pod'].includes(o.kind));
const serviceOf = (d: K8sObject): Service | undefined => {
  const name = d.metadata.labels?.['app.kubernetes.io/name'];
  return SERVICES.find((s) => s === name);
};

function assertContainerHardening(where: string, c: Container, pod: ReturnType<typeof podSpec>) {
  const sc = c.securityContext ?? {};
  expect(sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot, `${where}: runAsNonRoot`).toBe(true);
  expect(sc.allowPrivilegeEscalation, `${where}: allowPrivilegeEscalation`).toBe(false);
  expect(sc.readOnlyRootFilesystem, `${where}: readOnlyRootFilesystem`).toBe(true);
  expect(sc.capabilities?.drop, `${where}: capabilities.drop`).toContain('ALL');
  const seccomp = (sc.seccompProfile ?? pod.securityContext?.seccompProfile) as { type?: string } | undefined;
  expect(seccomp?.type, `${where}: seccompProfile`).toBe('RuntimeDefault');
  expect(c.resources?.requests?.cpu, `${where}: cpu request`).toBeTruthy();
  expect(c.resources?.requests?.memory, `${where}: memory request`).toBeTruthy();
  expect(c.resources?.limits?.memory, `${where}: memory limit`).toBeTruthy();
  // A read-only root needs a writable /tmp, and it must be an emptyDir.
  const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
  expect(tmp, `${where}: /tmp mount`).toBeTruthy();
  expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir, `${where}: /tmp is an emptyDir`).toBeTruthy();
}

// ---- tests --------------------------------------------------------------------------------

describe('helm lint --strict', () => {
  const charts = ['common', 'api', 'worker', 'web', 'opad', ...(existsSync(join(CHARTS, 'autoscaler/Chart.yaml')) ? ['autoscaler'] : [])];
  it.each(charts)('%s', (chart) => {
    const r = runHelm(['lint', '--strict', join(CHARTS, chart)]);
    expect(r.ok, r.stdout + r.stderr).toBe(true);
  });
});

describe.each(renders)('$chart with $set values', ({ chart, set, values }) => {
  it('renders objects that pass the Kubernetes schemas', async () => {
    const objs = render(chart, set, values);
    expect(objs.length).toBeGreaterThan(0);
    for (const o of objs) await validateObject(o);
    // every object carries the standard labels
    for (const o of objs) {
      expect(o.metadata.labels?.['app.kubernetes.io/part-of'], `${o.kind}/${o.metadata.name} labels`).toBe('opad');
      expect(o.metadata.labels?.['app.kubernetes.io/managed-by'], `${o.kind}/${o.metadata.name} labels`).toBe('Helm');
    }
  });

  it('hardens every container: non-root, read-only root, no capabilities, requests and limits', () => {
    for (const w of workloads(render(chart, set, values))) {
      const pod = podSpec(w);
      expect(pod.securityContext?.runAsNonRoot, `${w.kind}/${w.metadata.name} pod runAsNonRoot`).toBe(true);
      // Only the autoscaler talks to the Kubernetes API; nothing else gets a token.
      const isOperator = w.metadata.labels?.['app.kubernetes.io/name'] === 'autoscaler';
      if (!isOperator) expect(pod.automountServiceAccountToken, `${w.kind}/${w.metadata.name} automountServiceAccountToken`).toBe(false);
      for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) assertContainerHardening(`${w.kind}/${w.metadata.name}/${c.name}`, c, pod);
    }
  });

  it('gives every Deployment container liveness, readiness and startup probes on its health paths', () => {
    for (const d of byKind(render(chart, set, values), 'Deployment')) {
      const svc = serviceOf(d);
      for (const c of podSpec(d).containers) {
        expect(c.livenessProbe?.httpGet?.path, `${d.metadata.name} liveness`).toBe('/healthz');
        expect(c.readinessProbe?.httpGet?.path, `${d.metadata.name} readiness`).toBe(svc === 'web' ? '/healthz' : '/readyz');
        expect(c.startupProbe?.httpGet, `${d.metadata.name} startup`).toBeTruthy();
        const portName = c.readinessProbe?.httpGet?.port;
        expect(c.ports?.map((p) => p.name), `${d.metadata.name} probe port`).toContain(portName);
      }
      const annotations = (d.spec as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations;
      expect(annotations['checksum/config'], `${d.metadata.name} checksum/config`).toMatch(/^[a-f0-9]{64}$/);
    }
  });

  it('provides every variable the service configuration schema requires, with values it accepts', () => {
    const objs = render(chart, set, values);
    const deployments = byKind(objs, 'Deployment').filter((d) => serviceOf(d));
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      const svc = serviceOf(d)!;
      const schema = SCHEMAS[svc];
      const required = new Set([...requiredEnvVars(schema), ...CONTRACT_REQUIRED[svc]]);
      const c = podSpec(d).containers[0]!;
      const { env, external } = resolveEnv(c, objs);
      for (const name of required) expect(name in env || external.has(name), `${d.metadata.name} provides ${name}`).toBe(true);
      // Credentials from a Secret the chart renders: parse them with the service's own schema.
      const probeEnv = { ...env };
      for (const name of external) probeEnv[name] = name.endsWith('_URL') ? (name === 'DATABASE_URL' ? 'postgres://u:p@db:5432/opad' : 'redis://redis:6379') : 'x';
      expect(() => loadConfig(schema, probeEnv), `${d.metadata.name} env parses with ${svc}'s configSchema`).not.toThrow();
      // OTEL: service name and the pod/namespace resource attributes from the downward API.
      expect(env.OTEL_SERVICE_NAME).toBe(`opad-${svc}`);
      expect(env.OTEL_RESOURCE_ATTRIBUTES).toContain('k8s.pod.name=downward:metadata.name');
      expect(env.OTEL_RESOURCE_ATTRIBUTES).toContain('k8s.namespace.name=downward:metadata.namespace');
      // The web never sees database, Redis or object-store credentials.
      if (svc === 'web') for (const secret of ['DATABASE_URL', 'REDIS_URL', 'S3_SECRET_ACCESS_KEY']) expect(c.env?.some((v) => v.name === secret), `web has ${secret}`).toBe(false);
    }
  });

  it('keeps credentials out of ConfigMaps and plain env values', () => {
    const objs = render(chart, set, values);
    for (const cm of byKind(objs, 'ConfigMap')) {
      for (const key of Object.keys((cm.data as object) ?? {})) expect(key, `${cm.metadata.name}`).not.toMatch(/DATABASE_URL|REDIS_URL|SECRET|PASSWORD|API_KEY/);
    }
    for (const w of workloads(objs)) {
      for (const c of podSpec(w).containers) {
        for (const v of c.env ?? []) if (/DATABASE_URL|REDIS_URL|SECRET|PASSWORD|API_KEY/.test(v.name)) expect(v.valueFrom?.secretKeyRef, `${w.metadata.name} ${v.name}`).toBeTruthy();
      }
    }
  });
});

describe('worker', () => {
  const shutdownMs = (objs: K8sObject[]) => {
    const d = byKind(objs, 'Deployment').find((x) => serviceOf(x) === 'worker')!;
    const { env } = resolveEnv(podSpec(d).containers[0]!, objs);
    return { d, ms: Number(env.WORKER_SHUTDOWN_TIMEOUT_MS ?? 600_000) };
  };

  it('has a grace period that outlasts WORKER_SHUTDOWN_TIMEOUT_MS (the longest generation)', () => {
    for (const [chart, set, values] of [['worker', 'defaults', {}], ['opad', 'defaults', {}]] as const) {
      const { d, ms } = shutdownMs(render(chart, set, values));
      expect(ms).toBeGreaterThanOrEqual(600_000);
      expect(podSpec(d).terminationGracePeriodSeconds! * 1000).toBeGreaterThan(ms);
    }
  });

  it('refuses a grace period shorter than the shutdown timeout, with a message', () => {
    const r = runHelm(['template', 'w', join(CHARTS, 'worker'), '--set', 'terminationGracePeriodSeconds=30']);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/terminationGracePeriodSeconds \(30s\) must outlast WORKER_SHUTDOWN_TIMEOUT_MS/);
  });

  it('leaves replicas out when an autoscaler owns them, and sets them otherwise', () => {
    const fixed = byKind(template('worker'), 'Deployment')[0]!;
    expect((fixed.spec as { replicas?: number }).replicas).toBe(1);
    const scaled = byKind(template('worker', { autoscaling: { enabled: true } }), 'Deployment')[0]!;
    expect(scaled.spec).not.toHaveProperty('replicas');
  });

  it('gets POD_NAME from the downward API (the BullMQ worker name the autoscaler reads)', () => {
    const d = byKind(template('worker'), 'Deployment')[0]!;
    expect(podSpec(d).containers[0]!.env).toContainEqual({ name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });
});

describe('api migrations and helm tests', () => {
  const migrateScript = (JSON.parse(readFileSync(join(ROOT, 'api/package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.migrate;

  it.each([['defaults', {}], ['existingSecret', { existingSecret: 'opad-credentials' }]] as const)('runs migrations as a pre-install/pre-upgrade hook Job (%s)', (_set, values) => {
    const objs = template('api', values);
    const job = find(objs, 'Job', 'opad-api-migrate');
    const a = job.metadata.annotations!;
    expect(a['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(a['helm.sh/hook-delete-policy']).toContain('before-hook-creation');
    const c = podSpec(job).containers[0]!;
    expect(c.args?.join(' ')).toBe(migrateScript ?? 'node src/migrate.ts');
    expect((podSpec(job) as { restartPolicy?: string }).restartPolicy).toBe('Never');
    // The Job runs before the release's Secret exists: it reads a hook Secret created earlier, or the existing one.
    const ref = c.env!.find((v) => v.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!;
    if ('existingSecret' in values) {
      expect(ref.name).toBe('opad-credentials');
      expect(objs.some((o) => o.kind === 'Secret' && o.metadata.name === 'opad-api-migrate')).toBe(false);
    } else {
      const hookSecret = find(objs, 'Secret', ref.name);
      expect(hookSecret.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
      expect(Number(hookSecret.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(Number(a['helm.sh/hook-weight']));
      const { env } = resolveEnv(c, objs);
      expect(() => loadConfig(apiSchema, env)).not.toThrow();
    }
    // It does not depend on the ConfigMap (not there yet at pre-install).
    expect(c.envFrom ?? []).toEqual([]);
  });

  it('ships helm test hooks: api GET /readyz and web GET /healthz through their Services', () => {
    const objs = template('opad');
    const tests = objs.filter((o) => o.metadata.annotations?.['helm.sh/hook'] === 'test');
    const urls = tests.map((t) => podSpec(t).containers[0]!.args!.at(-1));
    expect(urls).toEqual(expect.arrayContaining(['http://opad-api.opad.svc:8080/readyz', 'http://opad-web.opad.svc:3000/healthz']));
  });
});

describe('umbrella', () => {
  it('renders the KEDA ScaledObject only when asked, aimed at the worker Deployment and its queue', () => {
    expect(byKind(template('opad'), 'ScaledObject')).toHaveLength(0);
    const objs = render('opad', 'keda', umbrellaSets.keda!);
    const so = find(objs, 'ScaledObject', 'opad-worker');
    const spec = so.spec as { scaleTargetRef: { name: string }; triggers: { type: string; metadata: Record<string, string>; authenticationRef?: { name: string } }[] };
    expect(spec.scaleTargetRef.name).toBe(find(objs, 'Deployment', 'opad-worker').metadata.name);
    expect(spec.triggers[0]!.metadata.listName).toBe('opad:generate:wait');
    expect(find(objs, 'TriggerAuthentication', spec.triggers[0]!.authenticationRef!.name)).toBeTruthy();
    expect(find(objs, 'Deployment', 'opad-worker').spec).not.toHaveProperty('replicas');
  });

  it('refuses KEDA while the worker Deployment still sets replicas', () => {
    const r = runHelm(['template', 'opad', join(CHARTS, 'opad'), '--set', 'keda.enabled=true']);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/worker\.autoscaling\.enabled=true/);
  });

  it('shares settings through global.opad and gives each service only its own credentials', () => {
    const objs = render('opad', 'sharedSecrets', umbrellaSets.sharedSecrets!);
    const secretKeys = (name: string) => Object.keys((find(objs, 'Secret', name).data as object) ?? {});
    expect(secretKeys('opad-api')).toContain('DATABASE_URL');
    expect(secretKeys('opad-api')).not.toContain('OPENAI_API_KEY');
    expect(secretKeys('opad-worker')).toContain('OPENAI_API_KEY');
    expect(objs.some((o) => o.kind === 'Secret' && o.metadata.name === 'opad-web')).toBe(false);
    const api = find(objs, 'Deployment', 'opad-api');
    expect(resolveEnv(podSpec(api).containers[0]!, objs).env.DATABASE_URL).toBe('postgres://u:p@db.internal:5432/opad');
  });

  it('uses global.opad.existingSecret and renders no credentials Secret', () => {
    const objs = render('opad', 'existingSecret', umbrellaSets.existingSecret!);
    expect(byKind(objs, 'Secret')).toHaveLength(0);
    for (const d of byKind(objs, 'Deployment').filter((x) => serviceOf(x) !== 'web')) {
      const ref = podSpec(d).containers[0]!.env!.find((v) => v.name === 'DATABASE_URL')!.valueFrom!.secretKeyRef!;
      expect(ref).toEqual({ name: 'opad-credentials', key: 'DATABASE_URL' });
    }
  });

  it('points every image at the shared registry and tag in the production set', () => {
    const objs = render('opad', 'production', umbrellaSets.production!);
    for (const w of workloads(objs)) for (const c of podSpec(w).containers) expect(c.image).toMatch(/^registry\.example\.com\/opad\/(api|worker|web):1\.2\.3$/);
  });
});

describe.skipIf(!HAS_AUTOSCALER)('umbrella with the OPAD autoscaler', () => {
  it('renders a QueueScaler aimed at this release’s worker, which then has no replicas', () => {
    const objs = render('opad', 'autoscaler', umbrellaSets.autoscaler!);
    const qs = objs.find((o) => o.kind === 'QueueScaler')!;
    expect((qs.spec as { targetRef: { name: string } }).targetRef.name).toBe('opad-worker');
    expect(find(objs, 'Deployment', 'opad-worker').spec).not.toHaveProperty('replicas');
    expect(byKind(objs, 'ScaledObject')).toHaveLength(0);
  });

  it('refuses the autoscaler together with KEDA', () => {
    const r = runHelm(['template', 'opad', join(CHARTS, 'opad'), '-f', valuesFile({ ...umbrellaSets.autoscaler!, keda: { enabled: true } })]);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/pick one/);
  });
});

describe('values.schema.json', () => {
  it.each(['api', 'worker', 'web'])('%s rejects a wrong type and a missing required value', (chart) => {
    const wrongType = runHelm(['template', 't', join(CHARTS, chart), '--set-string', 'replicaCount=three']);
    expect(wrongType.ok).toBe(false);
    expect(wrongType.stderr).toMatch(/replicaCount.*want integer/);
    const missing = runHelm(['template', 't', join(CHARTS, chart), '--set', 'image.repository=null']);
    expect(missing.ok).toBe(false);
    expect(missing.stderr).toMatch(/missing propert(y|ies) 'repository'/);
    const badProbe = runHelm(['template', 't', join(CHARTS, chart), '-f', valuesFile({ readinessProbe: { path: 'readyz' } })]);
    expect(badProbe.ok).toBe(false);
  });

  it('umbrella rejects a bad KEDA address and a wrong type in a service chart', () => {
    const bad = runHelm(['template', 't', join(CHARTS, 'opad'), '--set', 'keda.redis.address=redis://redis:6379']);
    expect(bad.ok).toBe(false);
    expect(bad.stderr).toMatch(/keda\/redis\/address/);
    const sub = runHelm(['template', 't', join(CHARTS, 'opad'), '--set-string', 'worker.replicaCount=lots']);
    expect(sub.ok).toBe(false);
    const missing = runHelm(['template', 't', join(CHARTS, 'opad'), '--set', 'keda.enabled=null']);
    expect(missing.ok).toBe(false);
    expect(missing.stderr).toMatch(/missing propert(y|ies) 'enabled'/);
  });

  it('credentials: a chart-rendered Secret without DATABASE_URL fails with a message', () => {
    const r = runHelm(['template', 't', join(CHARTS, 'api'), '--set', 'secretEnv.DATABASE_URL=']);
    expect(r.ok).toBe(false);
    expect(r.stderr).toMatch(/the credential DATABASE_URL is empty/);
  });
});

describe('chart documentation', () => {
  it.each(['api', 'worker', 'web', 'opad'])('%s: README documents every @param of values.yaml, NOTES.txt exists', (chart) => {
    const values = readFileSync(join(CHARTS, chart, 'values.yaml'), 'utf8');
    const params = [...values.matchAll(/^## @param (\S+)/gm)].map((m) => m[1]!);
    expect(params.length).toBeGreaterThan(10);
    const readme = readFileSync(join(CHARTS, chart, 'README.md'), 'utf8');
    for (const p of params) expect(readme, `${chart}/README.md documents ${p}`).toContain(`\`${p}\``);
    expect(existsSync(join(CHARTS, chart, 'templates/NOTES.txt'))).toBe(true);
  });

  it.each(['api', 'worker', 'web'])('%s: every top-level values key has an @param', (chart) => {
    const values = readFileSync(join(CHARTS, chart, 'values.yaml'), 'utf8');
    const params = new Set([...values.matchAll(/^## @param (\S+)/gm)].map((m) => m[1]!.split('.')[0]!));
    const keys = [...values.matchAll(/^([A-Za-z][\w]*):/gm)].map((m) => m[1]!);
    for (const k of keys) expect(params.has(k), `${chart} values key ${k} documented`).toBe(true);
  });
});
