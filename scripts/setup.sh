#!/usr/bin/env bash
# Shared set-up steps for run.sh and test.sh. Each step checks first and installs only what is
# missing; Debian packages are installed only where apt-get is available.
set -euo pipefail

FASHION_DIR=/usr/share/datasets/fashion-mnist

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ "$APT_UPDATED" = 0 ]; then as_root apt-get update -qq || return 1; APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

require_dotnet() {
    if ! command -v dotnet >/dev/null 2>&1; then
        echo "The .NET SDK 10 is needed (https://dot.net): install it, then run this again." >&2
        exit 1
    fi
    local major
    major=$(dotnet --version | cut -d. -f1)
    if [ "$major" -lt 10 ]; then
        echo "The .NET SDK 10 or newer is needed; found $(dotnet --version)." >&2
        exit 1
    fi
    export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
}

require_node() {
    if command -v npm >/dev/null 2>&1; then return; fi
    say "Installing Node.js and npm (front-end libraries come from npm)"
    apt_install nodejs npm || { echo "npm is needed: install Node.js 18 or newer with npm." >&2; exit 1; }
}

ensure_fashion_mnist() {
    if [ -f "$FASHION_DIR/train-images-idx3-ubyte.gz" ] || [ -f data/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
        return
    fi
    say "Installing Fashion-MNIST (Debian package dataset-fashion-mnist), the embedded default dataset"
    if ! apt_install dataset-fashion-mnist; then
        cat >&2 <<MSG
Fashion-MNIST is not installed and could not be installed with apt-get here.
Either install the Debian package 'dataset-fashion-mnist', or copy the four files
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
t10k-labels-idx1-ubyte.gz into ./data/datasets/fashion-mnist/. The app starts anyway.
MSG
    fi
}

ensure_chromium() {
    if [ -x /usr/bin/chromium ]; then return; fi
    say "Installing Debian's chromium for the browser tests"
    apt_install chromium || { echo "Browser tests need /usr/bin/chromium (Debian package 'chromium')." >&2; exit 1; }
}

# The store tests run a real PostgreSQL and Redis (Debian's packages) on loopback ports in a
# temporary folder; nothing is configured system-wide, and no service needs to be running.
ensure_servers() {
    local missing=()
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    [ -x /usr/bin/redis-server ] || missing+=(redis-server)
    [ ${#missing[@]} -eq 0 ] && return
    say "Installing ${missing[*]} for the tests of many machines"
    apt_install "${missing[@]}" || { echo "The store tests need Debian's postgresql and redis-server packages." >&2; exit 1; }
}

# A test loads the runs CSV with pandas, as a researcher would (Debian's python3-pandas for /usr/bin/python3).
ensure_pandas() {
    if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import pandas" 2>/dev/null; then return; fi
    say "Installing Debian's python3-pandas for the runs CSV test"
    apt_install python3-pandas || { echo "The runs CSV test needs /usr/bin/python3 with pandas (Debian package 'python3-pandas')." >&2; exit 1; }
}

restore_tools() {
    dotnet tool restore >/dev/null
}
