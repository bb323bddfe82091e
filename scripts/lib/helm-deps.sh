# Sourced by helm-lint.sh and helm-template.sh: builds the charts' file:// dependencies in order —
# the service charts first (they embed charts/common), then the umbrella (it embeds them).
# Needs $HELM and the current directory at charts/.
build_chart_deps() {
  for chart in */Chart.yaml; do
    dir="${chart%/Chart.yaml}"
    [ "$dir" = opad ] && continue
    grep -q '^dependencies:' "$chart" && "$HELM" dependency build "$dir" >/dev/null
  done
  "$HELM" dependency build opad >/dev/null
}
