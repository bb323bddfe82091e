// Regenerates charts/{api,worker,web,opad}/README.md from the `## @param` comments of values.yaml:
//   npx node charts/test/generate-readmes.ts   (run from the repository root)
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';
const intros: Record<string, string> = {
  api: `# api chart

The OPAD api (Express REST + SSE) alone: Deployment, Service, optional Ingress and HPA,
PodDisruptionBudget, ServiceAccount, ConfigMap + Secret for its environment, the database
migrations as a \`pre-install,pre-upgrade\` hook Job (\`node src/migrate.ts\`, idempotent), and a
\`helm test\` pod that calls \`GET /readyz\` through the Service.

\`\`\`sh
scripts/helm-lint.sh                      # builds the file:// dependency on charts/common
helm install api charts/api -n opad --create-namespace --set existingSecret=opad-credentials
helm test api -n opad
helm rollback api 1 -n opad               # roll the api back without touching worker or web
\`\`\`

Credentials (\`DATABASE_URL\`, \`REDIS_URL\`, \`S3_ACCESS_KEY_ID\`, \`S3_SECRET_ACCESS_KEY\`) come from
\`existingSecret\` or from \`secretEnv\` (the chart then renders a Secret). The defaults reach the
dev-only services of \`k8s/dev\` on kind; do not use them anywhere else. Every variable the api's
\`configSchema\` (api/src/config.ts) requires is provided; \`charts/test\` checks it.`,
  worker: `# worker chart

The OPAD worker (BullMQ consumer, generation pipeline) alone: Deployment, a metrics Service on
the health port, PodDisruptionBudget, ServiceAccount, ConfigMap + Secret for its environment.

- \`terminationGracePeriodSeconds\` (660 s) outlasts \`WORKER_SHUTDOWN_TIMEOUT_MS\` (600 000 ms): a
  rollout or scale-in sends SIGTERM, the worker stops taking jobs and finishes the ones it has.
  The chart refuses a grace period that does not outlast the timeout.
- \`autoscaling.enabled=true\` leaves \`replicas\` out of the Deployment, for when the OPAD
  autoscaler (a QueueScaler) or a KEDA ScaledObject owns the replica count.

\`\`\`sh
helm install worker charts/worker -n opad --set existingSecret=opad-credentials
kubectl -n opad scale deploy/worker --replicas=3
\`\`\``,
  web: `# web chart

The OPAD web (Remix, server-rendered) alone: Deployment, Service, optional Ingress and HPA,
PodDisruptionBudget, ServiceAccount, ConfigMap, and a \`helm test\` pod that calls \`GET /healthz\`.
The web talks only to the api (\`env.API_BASE_URL\`, by default \`http://<release>-api:8080\`); it
gets no database, Redis or object-store credentials.

\`\`\`sh
helm install web charts/web -n opad --set env.API_BASE_URL=http://api:8080
\`\`\``,
  opad: `# opad umbrella chart

Installs the api, worker and web charts together (file:// dependencies on \`../api\`,
\`../worker\`, \`../web\`, built by \`helm dependency build\`), with one place for the shared
settings (\`global.opad\`: database, Redis, object store, LLM, OTEL) and an off-by-default KEDA
ScaledObject for the worker. Each service's own values sit under its name (\`api.*\`, \`worker.*\`,
\`web.*\`) and are documented in that chart's README.

\`\`\`sh
scripts/helm-lint.sh   # builds the dependencies: charts/common into each service, then this chart
helm install opad charts/opad -n opad --create-namespace \\
  --set global.opad.existingSecret=opad-credentials \\
  --set global.opad.env.S3_BUCKET=opad --set global.opad.otel.endpoint=http://otel-collector:4318
helm test opad -n opad
\`\`\`

OPAD autoscaler: \`--set autoscaler.enabled=true --set worker.autoscaling.enabled=true\` installs
charts/autoscaler (the QueueScaler operator, its CRD and RBAC) and a QueueScaler for this
release's worker; it counts waiting + prioritized + active jobs and drains idle pods first.

KEDA: \`--set keda.enabled=true --set worker.autoscaling.enabled=true\` (the chart refuses the first
without the second, so a \`helm upgrade\` never resets the replica count KEDA set). KEDA's Redis
scaler watches the \`<QUEUE_PREFIX>:generate:wait\` list only; prioritized and active jobs are not
counted, which the OPAD autoscaler does count.

A global value wins over a service chart's default for the keys that service takes
(\`globalEnvKeys\`, \`secretKeys\`); to make one service differ, use its \`extraEnvVars\`.`,
};
const get = (obj: any, path: string): any => path.split('.').reduce((o: any, k: string) => (o == null ? undefined : o[k]), obj);
for (const chart of ['api', 'worker', 'web', 'opad']) {
  const text = readFileSync(`charts/${chart}/values.yaml`, 'utf8');
  const values = parse(text);
  const out = [intros[chart], '', '## Parameters', '', 'Generated from the `## @param` comments of `values.yaml`; `values.schema.json` checks the types at install.', ''];
  let section: string | null = null;
  for (const line of text.split('\n')) {
    const s = line.match(/^## @section (.*)/);
    if (s) { out.push('', `### ${s[1]}`, '', '| Name | Description | Default |', '| --- | --- | --- |'); section = s[1]; continue; }
    const m = line.match(/^## @param (\S+) (.*)/);
    if (m) {
      if (!section) { out.push('| Name | Description | Default |', '| --- | --- | --- |'); section = '-'; }
      let d = get(values, m[1]);
      d = d === undefined ? '' : JSON.stringify(d);
      if (d.length > 80) d = d.slice(0, 77) + '...';
      out.push(`| \`${m[1]}\` | ${m[2].replace(/\|/g, '\\|')} | \`${d.replace(/\|/g, '\\|')}\` |`);
    }
  }
  writeFileSync(`charts/${chart}/README.md`, out.join('\n') + '\n');
}
