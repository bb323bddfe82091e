#!/bin/sh
# `make images`: build the production images (the final "runtime" stage of each Dockerfile) from
# the repository root, tagged REGISTRY/opad/<service>:TAG.
#   REGISTRY  default localhost:5001 (the kind registry of `make kind-up`)
#   TAG       default the short git commit
#   PUSH=1    push them too
#   SERVICES  default "api worker web"
# Needs a Docker engine with BuildKit (the Dockerfiles use RUN --mount=type=cache).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
REGISTRY="${REGISTRY:-localhost:5001}"
TAG="${TAG:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo dev)}"
SERVICES="${SERVICES:-api worker web}"
command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1 || { echo "images: no Docker engine here; build on a machine with Docker (see docs/kubernetes.md)" >&2; exit 1; }
cd "$ROOT"
for svc in $SERVICES; do
  ref="$REGISTRY/opad/$svc:$TAG"
  echo "images: building $ref"
  DOCKER_BUILDKIT=1 docker build --target runtime -f "$svc/Dockerfile" -t "$ref" .
  if [ "${PUSH:-0}" = 1 ]; then docker push "$ref"; fi
done
echo "images: done. Install with --set global.imageRegistry=$REGISTRY --set global.opad.imageTag=$TAG"
