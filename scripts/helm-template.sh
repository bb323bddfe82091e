#!/bin/sh
# `make helm-template`: render the charts.
#   scripts/helm-template.sh                  every chart with its value sets, written to
#                                             .tools/rendered/<chart>-<set>.yaml (a summary is printed)
#   scripts/helm-template.sh ARGS...          the umbrella chart to stdout, ARGS passed to helm, e.g.
#       -f charts/opad/values-dev.yaml                      (what the Tiltfile deploys)
#       --set keda.enabled=true --set worker.autoscaling.enabled=true
#   CHART=charts/worker scripts/helm-template.sh ARGS...    one service chart alone
# helm comes from scripts/fetch-helm.sh; file:// dependencies are built first.
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HELM="$("$ROOT/scripts/fetch-helm.sh")"
RELEASE="${RELEASE:-opad}"
NAMESPACE="${NAMESPACE:-opad}"

cd "$ROOT/charts"
. "$ROOT/scripts/lib/helm-deps.sh"
build_chart_deps
cd "$ROOT"

if [ $# -gt 0 ] || [ -n "${CHART:-}" ]; then
  exec "$HELM" template "$RELEASE" "${CHART:-charts/opad}" --namespace "$NAMESPACE" "$@"
fi

OUT="$ROOT/.tools/rendered"
mkdir -p "$OUT"
render() { # name chart args...
  name="$1"; chart="$2"; shift 2
  "$HELM" template "$RELEASE" "$chart" --namespace "$NAMESPACE" "$@" > "$OUT/$name.yaml"
  printf '  %-22s %3s objects  %s\n' "$name" "$(grep -c '^kind:' "$OUT/$name.yaml")" ".tools/rendered/$name.yaml"
}
echo "helm-template: rendering into .tools/rendered/"
for svc in api worker web; do
  render "$svc-defaults" "charts/$svc"
  render "$svc-existing-secret" "charts/$svc" --set existingSecret=opad-credentials
done
render opad-defaults charts/opad
render opad-dev charts/opad -f charts/opad/values-dev.yaml
render opad-keda charts/opad --set keda.enabled=true --set worker.autoscaling.enabled=true
render opad-ingress charts/opad --set api.ingress.enabled=true --set web.ingress.enabled=true
render opad-existing-secret charts/opad --set global.opad.existingSecret=opad-credentials
echo "helm-template: the full set of value sets, validated against the Kubernetes schemas, runs in: npx vitest run --project deploy"
