// A simulated Kubernetes API server for tests and the benchmark: an HTTP server holding
// objects in memory and speaking the REST the autoscaler uses — list, watch (chunked JSON
// lines with resourceVersion), get, create, replace (409 on a stale resourceVersion), patch
// (merge, strategic-merge treated as merge, JSON patch), delete, the `status` and `scale`
// subresources. Deployments own a ReplicaSet-like pod set: when replicas change, Pods are
// created or deleted, lowest `controller.kubernetes.io/pod-deletion-cost` first, newest
// first among equals (as the ReplicaSet controller ranks them).
//
// It is not an API server: no admission, no OpenAPI validation of CRDs, no RBAC, no
// field managers. The controller's tests drive it through the real @kubernetes/client-node.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes, randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';

export const DELETION_COST_ANNOTATION = 'controller.kubernetes.io/pod-deletion-cost';

type Obj = Record<string, any>;

interface Route {
  group: string;
  version: string;
  namespace: string | undefined;
  resource: string;
  name: string | undefined;
  subresource: string | undefined;
}

interface Watcher {
  resourceKey: string;
  namespace: string | undefined;
  selector: Record<string, string>;
  res: ServerResponse;
}

export interface RequestRecord {
  method: string;
  path: string;
  token: string | undefined;
  contentType: string | undefined;
  status: number;
}

const KINDS: Record<string, { kind: string; apiVersion: string }> = {
  pods: { kind: 'Pod', apiVersion: 'v1' },
  events: { kind: 'Event', apiVersion: 'v1' },
  secrets: { kind: 'Secret', apiVersion: 'v1' },
  deployments: { kind: 'Deployment', apiVersion: 'apps/v1' },
  leases: { kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' },
  queuescalers: { kind: 'QueueScaler', apiVersion: 'opad.dev/v1alpha1' },
};

export interface FakeKubeApiEvents {
  podCreated: [pod: Obj];
  podDeleted: [pod: Obj];
  scaled: [namespace: string, name: string, replicas: number];
}

export class FakeKubeApi extends EventEmitter<FakeKubeApiEvents> {
  url = '';
  readonly requests: RequestRecord[] = [];
  /** pods removed by a scale-in, in deletion order, as they were when deleted */
  readonly deletedPods: Obj[] = [];
  private server: Server | undefined;
  private resourceVersion = 1;
  private podSerial = 0;
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly watchers = new Set<Watcher>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req, res).catch((err: unknown) => {
        this.send(res, 500, status(500, 'InternalError', String(err)));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** A KubeConfig pointed at this server; `token` tells the clients apart in `requests`. */
  kubeConfig(token = 'test'): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'user', token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'user', namespace: 'default' }],
      currentContext: 'fake',
    });
    return kc;
  }

  // ---- direct access for tests ----

  get(resourceKey: string, namespace: string | undefined, name: string): Obj | undefined {
    return this.bucket(resourceKey).get(objectKey(namespace, name));
  }

  list(resourceKey: string, namespace?: string, selector: Record<string, string> = {}): Obj[] {
    return [...this.bucket(resourceKey).values()].filter(
      (o) => (namespace === undefined || o.metadata.namespace === namespace) && matches(o, selector),
    );
  }

  /** Create or replace an object as an admin would (kubectl apply). */
  apply(resourceKey: string, obj: Obj): Obj {
    const resource = resourceKey.split('/').pop()!;
    const existing = this.get(resourceKey, obj.metadata?.namespace, obj.metadata.name);
    const next: Obj = { ...KINDS[resource], ...structuredClone(obj) };
    if (existing) {
      next.status = next.status ?? existing.status;
      return this.write(resourceKey, next, existing, 'MODIFIED');
    }
    return this.write(resourceKey, next, undefined, 'ADDED');
  }

  delete(resourceKey: string, namespace: string | undefined, name: string): void {
    const existing = this.get(resourceKey, namespace, name);
    if (!existing) return;
    this.bucket(resourceKey).delete(objectKey(namespace, name));
    this.resourceVersion += 1;
    this.notify(resourceKey, 'DELETED', { ...existing, metadata: { ...existing.metadata, resourceVersion: String(this.resourceVersion) } });
  }

  createDeployment(namespace: string, name: string, replicas: number, labels: Record<string, string> = { app: name }): Obj {
    return this.apply('apps/v1/deployments', {
      metadata: { name, namespace },
      spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels } } },
    });
  }

  replicasOf(namespace: string, name: string): number {
    return this.get('apps/v1/deployments', namespace, name)?.spec.replicas ?? -1;
  }

  writesBy(token: string): RequestRecord[] {
    return this.requests.filter((r) => r.token === token && r.method !== 'GET');
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = parseRoute(url.pathname);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const record: RequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      token,
      contentType: req.headers['content-type'],
      status: 0,
    };
    this.requests.push(record);
    const reply = (code: number, body: unknown): void => {
      record.status = code;
      this.send(res, code, body);
    };
    if (!route) return reply(404, status(404, 'NotFound', `no route for ${url.pathname}`));
    const resourceKey = keyOf(route);
    const body = await readBody(req);

    if (route.name === undefined) {
      if (req.method === 'GET') {
        const selector = parseSelector(url.searchParams.get('labelSelector'));
        if (url.searchParams.get('watch') === 'true') {
          record.status = 200;
          return this.watch(resourceKey, route.namespace, selector, res);
        }
        const items = this.list(resourceKey, route.namespace, selector);
        const kind = KINDS[route.resource]?.kind ?? 'Object';
        return reply(200, {
          apiVersion: apiVersionOf(route),
          kind: `${kind}List`,
          metadata: { resourceVersion: String(this.resourceVersion) },
          items,
        });
      }
      if (req.method === 'POST') {
        const obj = JSON.parse(body) as Obj;
        obj.metadata = obj.metadata ?? {};
        if (!obj.metadata.name && obj.metadata.generateName) {
          obj.metadata.name = `${obj.metadata.generateName}${randomBytes(3).toString('hex')}`;
        }
        obj.metadata.namespace = route.namespace ?? obj.metadata.namespace;
        if (this.get(resourceKey, route.namespace, obj.metadata.name)) {
          return reply(409, status(409, 'AlreadyExists', `${route.resource} "${obj.metadata.name}" already exists`));
        }
        return reply(201, this.write(resourceKey, obj, undefined, 'ADDED'));
      }
      return reply(405, status(405, 'MethodNotAllowed', 'collection verb not supported'));
    }

    const existing = this.get(resourceKey, route.namespace, route.name);
    if (!existing) return reply(404, status(404, 'NotFound', `${route.resource} "${route.name}" not found`));

    if (route.subresource === 'scale') {
      if (route.resource !== 'deployments') return reply(404, status(404, 'NotFound', 'no scale subresource'));
      const scale = scaleOf(existing);
      if (req.method === 'GET') return reply(200, scale);
      const next = req.method === 'PUT' ? (JSON.parse(body) as Obj) : applyPatch(scale, body, record.contentType);
      if (req.method === 'PUT' && next.metadata?.resourceVersion && next.metadata.resourceVersion !== existing.metadata.resourceVersion) {
        return reply(409, status(409, 'Conflict', 'the object has been modified'));
      }
      const replicas = Number(next.spec?.replicas);
      if (!Number.isInteger(replicas) || replicas < 0) return reply(422, status(422, 'Invalid', 'spec.replicas must be >= 0'));
      const updated = this.write(resourceKey, { ...existing, spec: { ...existing.spec, replicas } }, existing, 'MODIFIED');
      return reply(200, scaleOf(updated));
    }

    if (req.method === 'GET') return reply(200, existing);
    if (req.method === 'DELETE') {
      this.delete(resourceKey, route.namespace, route.name);
      return reply(200, status(200, 'Success', 'deleted'));
    }
    let next: Obj;
    if (req.method === 'PUT') {
      next = JSON.parse(body) as Obj;
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== existing.metadata.resourceVersion) {
        return reply(409, status(409, 'Conflict', `Operation cannot be fulfilled on ${route.resource} "${route.name}": the object has been modified; please apply your changes to the latest version and try again`));
      }
    } else if (req.method === 'PATCH') {
      try {
        next = applyPatch(existing, body, record.contentType);
      } catch (err) {
        return reply(422, status(422, 'Invalid', String(err)));
      }
      const rv = next.metadata?.resourceVersion;
      if (rv && rv !== existing.metadata.resourceVersion) return reply(409, status(409, 'Conflict', 'the object has been modified'));
    } else {
      return reply(405, status(405, 'MethodNotAllowed', `${req.method} not supported`));
    }
    if (route.subresource === 'status') next = { ...existing, status: next.status };
    else if (route.subresource === undefined && existing.status !== undefined && route.resource === 'queuescalers') {
      next = { ...next, status: existing.status }; // the main resource ignores status (status subresource enabled)
    } else if (route.subresource !== undefined) {
      return reply(404, status(404, 'NotFound', `no subresource ${route.subresource}`));
    }
    return reply(200, this.write(resourceKey, next, existing, 'MODIFIED'));
  }

  private write(resourceKey: string, obj: Obj, existing: Obj | undefined, type: 'ADDED' | 'MODIFIED'): Obj {
    this.resourceVersion += 1;
    const resource = resourceKey.split('/').pop()!;
    const meta = { ...(obj.metadata ?? {}) };
    meta.resourceVersion = String(this.resourceVersion);
    meta.uid = existing?.metadata.uid ?? meta.uid ?? randomUUID();
    meta.creationTimestamp = existing?.metadata.creationTimestamp ?? meta.creationTimestamp ?? new Date().toISOString();
    const specChanged = !existing || JSON.stringify(existing.spec) !== JSON.stringify(obj.spec);
    meta.generation = existing ? (existing.metadata.generation ?? 1) + (specChanged ? 1 : 0) : 1;
    const stored = { ...KINDS[resource], ...obj, metadata: meta };
    this.bucket(resourceKey).set(objectKey(meta.namespace, meta.name), stored);
    this.notify(resourceKey, type, stored);
    if (resource === 'deployments') this.reconcilePods(stored);
    return structuredClone(stored);
  }

  /** The ReplicaSet controller, in one step. */
  private reconcilePods(deployment: Obj): void {
    const namespace = deployment.metadata.namespace as string;
    const selector = (deployment.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
    const want = Number(deployment.spec?.replicas ?? 1);
    this.emit('scaled', namespace, deployment.metadata.name as string, want);
    const pods = this.list('v1/pods', namespace, selector);
    for (let i = pods.length; i < want; i += 1) {
      this.podSerial += 1;
      const pod = this.write(
        'v1/pods',
        {
          metadata: {
            name: `${deployment.metadata.name}-${randomBytes(3).toString('hex')}`,
            namespace,
            labels: { ...(deployment.spec?.template?.metadata?.labels ?? selector) },
            annotations: {},
          },
          spec: {},
          status: { phase: 'Running', serial: this.podSerial },
        },
        undefined,
        'ADDED',
      );
      this.emit('podCreated', pod);
    }
    if (pods.length > want) {
      const ranked = [...pods].sort((a, b) => {
        const cost = deletionCost(a) - deletionCost(b);
        if (cost !== 0) return cost;
        return (b.status?.serial ?? 0) - (a.status?.serial ?? 0); // newer first
      });
      for (const pod of ranked.slice(0, pods.length - want)) {
        this.deletedPods.push(structuredClone(pod));
        this.delete('v1/pods', namespace, pod.metadata.name);
        this.emit('podDeleted', pod);
      }
    }
    const count = this.list('v1/pods', namespace, selector).length;
    const stored = this.bucket('apps/v1/deployments').get(objectKey(namespace, deployment.metadata.name));
    if (stored) stored.status = { replicas: count, readyReplicas: count, availableReplicas: count };
  }

  private watch(resourceKey: string, namespace: string | undefined, selector: Record<string, string>, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const watcher: Watcher = { resourceKey, namespace, selector, res };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  private notify(resourceKey: string, type: string, obj: Obj): void {
    for (const w of this.watchers) {
      if (w.resourceKey !== resourceKey) continue;
      if (w.namespace !== undefined && w.namespace !== obj.metadata.namespace) continue;
      if (!matches(obj, w.selector)) continue;
      w.res.write(`${JSON.stringify({ type, object: obj })}\n`);
    }
  }

  private bucket(resourceKey: string): Map<string, Obj> {
    let b = this.store.get(resourceKey);
    if (!b) {
      b = new Map();
      this.store.set(resourceKey, b);
    }
    return b;
  }

  private send(res: ServerResponse, code: number, body: unknown): void {
    if (res.headersSent) return;
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }
}

function parseRoute(pathname: string): Route | undefined {
  const parts = pathname.split('/').filter(Boolean);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === 'api' && parts[1]) {
    group = '';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts[1] && parts[2]) {
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource] = rest;
  if (!resource) return undefined;
  return { group, version, namespace, resource, name, subresource };
}

function keyOf(route: Route): string {
  return `${route.group ? `${route.group}/` : ''}${route.version}/${route.resource}`;
}

function apiVersionOf(route: Route): string {
  return route.group ? `${route.group}/${route.version}` : route.version;
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function status(code: number, reason: string, message: string): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: code < 400 ? 'Success' : 'Failure', message, reason, code };
}

function parseSelector(raw: string | null): Record<string, string> {
  const selector: Record<string, string> = {};
  for (const part of (raw ?? '').split(',').filter(Boolean)) {
    const [k, v] = part.split('=').filter(Boolean);
    if (k) selector[k.trim()] = (v ?? '').trim();
  }
  return selector;
}

function matches(obj: Obj, selector: Record<string, string>): boolean {
  const labels = (obj.metadata?.labels ?? {}) as Record<string, string>;
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function deletionCost(pod: Obj): number {
  const raw = pod.metadata?.annotations?.[DELETION_COST_ANNOTATION];
  const n = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? n : 0;
}

function scaleOf(deployment: Obj): Obj {
  const labels = (deployment.spec?.selector?.matchLabels ?? {}) as Record<string, string>;
  return {
    apiVersion: 'autoscaling/v1',
    kind: 'Scale',
    metadata: {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace,
      resourceVersion: deployment.metadata.resourceVersion,
      uid: deployment.metadata.uid,
    },
    spec: { replicas: deployment.spec?.replicas ?? 1 },
    status: {
      replicas: deployment.status?.replicas ?? 0,
      selector: Object.entries(labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function applyPatch(target: Obj, body: string, contentType: string | undefined): Obj {
  const patch = JSON.parse(body) as unknown;
  if (contentType?.startsWith('application/json-patch+json')) return applyJsonPatch(target, patch as JsonPatchOp[]);
  // merge-patch and strategic-merge-patch (lists replaced whole: enough for what we send)
  return mergePatch(structuredClone(target), patch) as Obj;
}

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Obj = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

interface JsonPatchOp {
  op: 'add' | 'replace' | 'remove' | 'test';
  path: string;
  value?: unknown;
}

function applyJsonPatch(target: Obj, ops: JsonPatchOp[]): Obj {
  const doc = structuredClone(target);
  for (const op of ops) {
    const tokens = op.path
      .split('/')
      .slice(1)
      .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop();
    if (last === undefined) throw new Error(`bad path ${op.path}`);
    let parent: any = doc;
    for (const t of tokens) {
      if (parent[t] === undefined) {
        if (op.op === 'add') parent[t] = {};
        else throw new Error(`path ${op.path} not found`);
      }
      parent = parent[t];
    }
    if (op.op === 'test') {
      if (JSON.stringify(parent[last]) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
    } else if (op.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (Array.isArray(parent) && op.op === 'add') {
      if (last === '-') parent.push(op.value);
      else parent.splice(Number(last), 0, op.value);
    } else {
      parent[last] = op.value;
    }
  }
  return doc;
}
