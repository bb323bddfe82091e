/**
 * The kind + Tilt loop, checked statically (no cluster runs here): k8s/dev renders with
 * kustomize and passes the Kubernetes schemas, its dev credentials are the ones the charts'
 * defaults use, the dev values render, and every name the Tiltfile refers to exists.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { CHARTS, ROOT, find, helm, podSpec, template, validateObject, type K8sObject } from './helm.ts';

const kubectl = () => join(helm(), '../kubectl');
const devDeps = (): K8sObject[] =>
  parseAllDocuments(execFileSync(kubectl(), ['kustomize', join(ROOT, 'k8s/dev')], { encoding: 'utf8' }))
    .map((d) => d.toJS() as K8sObject)
    .filter(Boolean);
const devValues = parseYaml(readFileSync(join(CHARTS, 'opad/values-dev.yaml'), 'utf8')) as object;
const tiltfile = readFileSync(join(ROOT, 'Tiltfile'), 'utf8');
const chartDefaults = (chart: string) => parseYaml(readFileSync(join(CHARTS, chart, 'values.yaml'), 'utf8')) as {
  env: Record<string, string>; secretEnv: Record<string, string>;
};

describe('k8s/dev (dev-only dependencies on kind)', () => {
  const objs = devDeps();

  it('renders with kustomize into valid objects in namespace opad', async () => {
    for (const o of objs) {
      await validateObject(o);
      if (o.kind !== 'Namespace') expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe('opad');
    }
    for (const name of ['postgres', 'redis', 'minio', 'jaeger']) {
      find(objs, 'Deployment', name);
      find(objs, 'Service', name);
    }
    find(objs, 'Job', 'minio-create-bucket');
  });

  it('uses the credentials, hosts and bucket of the charts’ dev defaults', () => {
    for (const chart of ['api', 'worker']) {
      const { env, secretEnv } = chartDefaults(chart);
      const db = new URL(secretEnv.DATABASE_URL!);
      const pg = find(objs, 'Secret', 'postgres').stringData as Record<string, string>;
      expect([db.username, db.password, db.pathname.slice(1), db.hostname, db.port]).toEqual([pg.POSTGRES_USER, pg.POSTGRES_PASSWORD, pg.POSTGRES_DB, 'postgres', '5432']);
      expect(new URL(secretEnv.REDIS_URL!).host).toBe('redis:6379');
      const minio = find(objs, 'Secret', 'minio').stringData as Record<string, string>;
      expect([secretEnv.S3_ACCESS_KEY_ID, secretEnv.S3_SECRET_ACCESS_KEY]).toEqual([minio.MINIO_ROOT_USER, minio.MINIO_ROOT_PASSWORD]);
      expect(env.S3_ENDPOINT).toBe('http://minio:9000');
      const mb = podSpec(find(objs, 'Job', 'minio-create-bucket')).containers[0]!.args!.join(' ');
      expect(mb).toContain(`mc mb --ignore-existing local/${env.S3_BUCKET}`);
    }
  });

  it('exposes OTLP on the Jaeger Service the dev values point at', () => {
    const svc = find(objs, 'Service', 'jaeger').spec as { ports: { port: number }[] };
    expect(svc.ports.map((p) => p.port)).toEqual(expect.arrayContaining([4318, 16686]));
    expect((devValues as { global: { opad: { otel: { endpoint: string } } } }).global.opad.otel.endpoint).toBe('http://jaeger:4318');
  });
});

describe('Tiltfile and charts/opad/values-dev.yaml', () => {
  const rendered = template('opad', devValues);

  it('renders valid objects whose images are the ones the Tiltfile builds', async () => {
    for (const o of rendered) await validateObject(o);
    const built = [...tiltfile.matchAll(/service_image\('(\w+)'/g)].map((m) => `opad/${m[1]}`);
    expect(built.sort()).toEqual(['opad/api', 'opad/web', 'opad/worker']);
    for (const w of rendered.filter((o) => ['Deployment', 'Job'].includes(o.kind))) {
      for (const c of podSpec(w).containers) expect(built, `${w.metadata.name} image ${c.image}`).toContain(c.image.split(':')[0]);
    }
  });

  it('refers only to resources that exist (chart objects and k8s/dev workloads)', () => {
    const names = new Set([...rendered, ...devDeps()].filter((o) => ['Deployment', 'Job'].includes(o.kind)).map((o) => o.metadata.name));
    const referenced = [...tiltfile.matchAll(/k8s_resource\('([\w-]+)'/g), ...tiltfile.matchAll(/resource_deps=\[([^\]]*)\]/g)]
      .flatMap((m) => (m[1]!.includes("'") ? [...m[1]!.matchAll(/'([\w-]+)'/g)].map((x) => x[1]!) : [m[1]!]));
    const locals = [...tiltfile.matchAll(/local_resource\('([\w-]+)'/g)].map((m) => m[1]);
    for (const name of referenced) expect(names.has(name) || locals.includes(name), `Tiltfile refers to ${name}`).toBe(true);
    // start-up order: database before migrations, migrations before api and worker, api before web
    expect(tiltfile).toMatch(/k8s_resource\('opad-api-migrate'[^)]*resource_deps=\['postgres'\]/);
    expect(tiltfile).toMatch(/k8s_resource\('opad-api'[^)]*resource_deps=\['opad-api-migrate'/);
    expect(tiltfile).toMatch(/k8s_resource\('opad-web'[^)]*resource_deps=\['opad-api'\]/);
  });

  it('uses the ctlptl cluster and registry that kind-up creates', () => {
    const docs = parseAllDocuments(readFileSync(join(ROOT, 'k8s/kind/cluster.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
    const registry = docs.find((d) => d.kind === 'Registry')!;
    const cluster = docs.find((d) => d.kind === 'Cluster')!;
    expect(cluster.registry).toBe(registry.name);
    expect(tiltfile).toContain(`allow_k8s_contexts('${cluster.name as string}')`);
    expect(readFileSync(join(ROOT, 'scripts/images.sh'), 'utf8')).toContain(`localhost:${registry.port as number}`);
  });
});
