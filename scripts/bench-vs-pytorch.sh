#!/usr/bin/env bash
# Side-by-side training benchmark: the full ProCo step of ProCo Studio (augmentation, forward, both
# losses, backward, SGD) in fp32 and bf16, against Debian's PyTorch doing the same step without
# augmentation in fp32 and under bf16 autocast, in one invocation, rounds interleaved, medians after
# warm-up, with the ratios. Installs python3-torch (Debian) when it is missing; the tests do not need it.
#   [ROUNDS=3] [STEPS=6] bash scripts/bench-vs-pytorch.sh [other proco bench options, e.g. --depth 56]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

require_dotnet
if ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
    say "Installing Debian's python3-torch for PyTorch's side of the benchmark"
    apt_install python3-torch || { echo "python3-torch is needed for /usr/bin/python3: install the Debian package python3-torch." >&2; exit 1; }
fi
say "Building (Release)"
dotnet build src/Web/ProCo.Web.csproj -c Release -nologo -v quiet
dotnet src/Web/bin/Release/net10.0/proco.dll bench cifar100 --batch-size 256 --rounds "${ROUNDS:-3}" --steps "${STEPS:-6}" --warmup-steps 2 \
    --pytorch scripts/pytorch_proco_step.py --python /usr/bin/python3 "$@"
