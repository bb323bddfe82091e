#!/bin/sh
# `make helm-lint`: helm lint --strict every chart under charts/ (library and umbrella included).
# helm comes from scripts/fetch-helm.sh (cached in .tools/bin). file:// dependencies are built
# first: the service charts (they embed charts/common), then the umbrella (it embeds them).
set -eu
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
HELM="$("$ROOT/scripts/fetch-helm.sh")"
cd "$ROOT/charts"

. "$ROOT/scripts/lib/helm-deps.sh"
build_chart_deps

status=0
for chart in */Chart.yaml; do
  dir="${chart%/Chart.yaml}"
  "$HELM" lint --strict "$dir" ${HELM_LINT_ARGS:-} || status=1
done
exit $status
