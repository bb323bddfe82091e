#!/bin/sh
# `make kind-down`: delete the kind cluster "opad" and its registry (k8s/kind/cluster.yaml).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v ctlptl >/dev/null 2>&1 || { echo "kind-down: 'ctlptl' is not installed" >&2; exit 1; }
ctlptl delete -f "$ROOT/k8s/kind/cluster.yaml" --ignore-not-found
