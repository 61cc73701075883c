#!/usr/bin/env bash
# Installs what the tests need (Chromium, Fashion-MNIST, PostgreSQL and Redis, pandas, npm packages, dotnet
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
ensure_pandas
restore_tools
log=$(mktemp)
set +e
say "Running the browser modules' own tests (Node's test runner)"
node --test tests/js/ 2>&1 | tee -a "$log"
node_status=${PIPESTATUS[0]}
say "Building and running all tests (Release)"
# -m:1 runs the test projects one after another: several of them train models, and on two cores
# running them side by side only makes each slower and its timing less predictable.
dotnet test ProCo.sln -c Release -nologo -m:1 2>&1 | tee -a "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test projects and the Node tests.
awk -F'[:,]' '/^(Passed|Failed)!/ { f += $2; p += $4; s += $6 }
              /^# (pass|fail|skipped) / { split($0, w, " "); n = w[3] + 0
                                             if (w[2] == "pass") p += n; else if (w[2] == "fail") f += n; else s += n }
              END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
[ "$node_status" = 0 ] || exit "$node_status"
exit "$status"
