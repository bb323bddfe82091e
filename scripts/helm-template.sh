#!/bin/sh
# `make helm-template`: render the umbrella chart (charts/opad) to stdout, e.g.
#   scripts/helm-template.sh                                   defaults
#   scripts/helm-template.sh -f charts/opad/values-dev.yaml     the kind/Tilt values
#   scripts/helm-template.sh --set keda.enabled=true --set worker.autoscaling.enabled=true
#   CHART=charts/worker scripts/helm-template.sh                one service chart alone
# Extra arguments go to `helm template`. Dependencies are built first (see helm-lint.sh).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HELM="$("$ROOT/scripts/fetch-helm.sh")"
CHART="${CHART:-charts/opad}"
RELEASE="${RELEASE:-opad}"
NAMESPACE="${NAMESPACE:-opad}"

cd "$ROOT/charts"
for chart in */Chart.yaml; do
  dir="${chart%/Chart.yaml}"
  [ "$dir" = opad ] && continue
  grep -q '^dependencies:' "$chart" && "$HELM" dependency build "$dir" >/dev/null
done
"$HELM" dependency build opad >/dev/null

cd "$ROOT"
exec "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" "$@"
