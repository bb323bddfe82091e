#!/bin/sh
# Installs Debian's Chromium for the browser tests in e2e/ when it is missing (idempotent).
# playwright-core drives it through executablePath /usr/bin/chromium; `npx playwright install`
# cannot download browsers here.
set -eu
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation fonts-noto-cjk >/dev/null
/usr/bin/chromium --version
