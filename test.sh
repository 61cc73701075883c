#!/usr/bin/env bash
# Installs what the tests need (Chromium, Fashion-MNIST, PostgreSQL and Redis, npm packages, dotnet
# tools) when missing, then runs every test of the solution. Screenshots of the browser tests land in
# tests/ProCo.Browser.Tests/bin/Release/net10.0/screenshots.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

require_dotnet
require_node
ensure_fashion_mnist
ensure_chromium
ensure_servers
restore_tools
say "Building and running all tests (Release)"
log=$(mktemp)
set +e
# -m:1 runs the test projects one after another: several of them train models, and on two cores
# running them side by side only makes each slower and its timing less predictable.
dotnet test ProCo.sln -c Release -nologo -m:1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test projects.
awk -F'[:,]' '/^(Passed|Failed)!/ { f += $2; p += $4; s += $6 } END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit "$status"
