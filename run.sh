#!/usr/bin/env bash
# Sets up what is missing and starts ProCo Studio on its embedded default
# (http://127.0.0.1:5000, data in ./data). Extra arguments go to `proco serve`, e.g. --urls.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh

require_dotnet
require_node
ensure_fashion_mnist
say "Building ProCo Studio (Release)"
dotnet build src/Web/ProCo.Web.csproj -c Release -nologo -v quiet -clp:NoSummary
PROCO=(dotnet src/Web/bin/Release/net10.0/proco.dll)
"${PROCO[@]}" doctor || say "proco doctor found a problem (above); the app starts anyway"
say "Starting ProCo Studio; open the address below (Ctrl+C stops it)"
exec "${PROCO[@]}" serve "$@"
