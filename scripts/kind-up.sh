#!/bin/sh
# `make kind-up`: the kind cluster "opad" with its local registry (localhost:5001), declared in
# k8s/kind/cluster.yaml and created by ctlptl, then the dev-only dependencies of k8s/dev
# (Postgres, Redis, MinIO + bucket, Jaeger) in namespace opad. Idempotent.
# Needs: a Docker engine, kind, ctlptl (https://github.com/tilt-dev/ctlptl); kubectl comes from
# scripts/fetch-helm.sh when it is not on PATH.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
for tool in docker kind ctlptl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "kind-up: '$tool' is not installed (see docs/kubernetes.md, Prerequisites)" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "kind-up: the Docker engine is not running" >&2; exit 1; }
KUBECTL="$(command -v kubectl || true)"
if [ -z "$KUBECTL" ]; then "$ROOT/scripts/fetch-helm.sh" >/dev/null; KUBECTL="$ROOT/.tools/bin/kubectl"; fi

ctlptl apply -f "$ROOT/k8s/kind/cluster.yaml"
"$KUBECTL" config use-context kind-opad >/dev/null
"$KUBECTL" apply -k "$ROOT/k8s/dev"
echo "kind-up: waiting for the dev dependencies..."
"$KUBECTL" -n opad rollout status deploy/postgres deploy/redis deploy/minio deploy/jaeger --timeout=300s
"$KUBECTL" -n opad wait --for=condition=complete job/minio-create-bucket --timeout=300s
echo "kind-up: cluster kind-opad is ready; registry localhost:5001. Next: make tilt-up"
