#!/usr/bin/env bash
# Installs Debian's chromium (for the coordinator status-page test) when it is missing. Non-interactive; CI runs
# it as root with no stdin. Exits 0 when /usr/bin/chromium is there afterwards, 1 when it cannot be installed.
set -uo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
    echo "ensureChromium: not root and no passwordless sudo; cannot install chromium" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null >&2 || { echo "ensureChromium: apt-get update failed" >&2; exit 1; }
$SUDO apt-get install -y -qq --no-install-recommends chromium </dev/null >&2 || { echo "ensureChromium: apt-get install chromium failed" >&2; exit 1; }
[ -x /usr/bin/chromium ]
