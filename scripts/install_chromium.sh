#!/bin/sh
# Install Debian's Chromium for the studio's browser tests: as root, or through sudo when it needs no password;
# otherwise stop with one line that says what to run.
set -e
if [ "$(id -u)" = 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo -n"
else
    echo "make test needs Chromium for the browser tests: run 'sudo apt-get install chromium' (Debian/Ubuntu), then make test again" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "make test needs Chromium at /usr/bin/chromium (no apt-get here): install it with your package manager" >&2
    exit 1
fi
echo "installing Debian's chromium for the browser tests (apt-get)..." >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends chromium >/dev/null; }
