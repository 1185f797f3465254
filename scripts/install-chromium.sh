#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests (tests/adapters/web/), which drive it with playwright.
#
#   bash scripts/install-chromium.sh      # as root: apt-get install chromium fonts-noto-color-emoji
#
# Never `playwright install`: it downloads a browser build from outside the package registries.  Idempotent: does
# nothing if the browser is there.  Without root or apt-get it stops with the command to run, so the browser tests
# are never skipped silently.
set -euo pipefail

CHROMIUM="${CHROMIUM_BIN:-/usr/bin/chromium}"
PACKAGES=(chromium fonts-noto-color-emoji)  # the emoji font draws the options' 🔴/🟢 on the page

if [ -x "$CHROMIUM" ]; then
  echo "chromium already installed: $CHROMIUM"
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "The browser tests need Debian's Chromium. Run as root: apt-get install -y ${PACKAGES[*]}" >&2
  echo "(or set CHROMIUM_BIN to a Chromium binary)" >&2
  exit 1
fi
echo "installing ${PACKAGES[*]} (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${PACKAGES[@]}" >/dev/null
"$CHROMIUM" --version
