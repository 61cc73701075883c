#!/usr/bin/env bash
# Accuracy side by side with the public ProCo code: LeapLabTHU/ProCo's ProCo_cifar/main.py (run unchanged, in one
# CPU process, by scripts/accuracy/run_public.py) and `proco train` of ProCo Studio train the same long-tailed
# data with the same recipe, several seeds each, one run per core and one thread each; scripts/accuracy/compare.py
# prints the table and the verdict (within two pooled standard deviations, per class too).
#
# The data is a CIFAR-10-format copy of Fashion-MNIST (scripts/accuracy/make_fake_cifar10.py), since CIFAR cannot
# be downloaded everywhere; both codes draw their own imbalance-100 subset of it (12,406 images).
#
#   bash scripts/bench-accuracy.sh PUBLIC_CHECKOUT [EPOCHS] [SEEDS] [PRECISIONS] [LR]
#   e.g. bash scripts/bench-accuracy.sh ../ProCo 6 "0 1 2" "fp32 auto"
# PUBLIC_CHECKOUT is a clone of https://github.com/LeapLabTHU/ProCo (the folder holding ProCo_cifar/).
# EPOCHS defaults to 6, SEEDS to "0 1 2", PRECISIONS to "fp32 auto" (the paper presets' precision, and the default
# fast mode), LR to the public script's 0.3. Runs and logs go to OUT (default ./bench-accuracy); finished runs are
# kept and not trained again, so an interrupted benchmark continues where it stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

if [ $# -lt 1 ] || [ ! -f "$1/ProCo_cifar/main.py" ]; then
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    echo "Give the path of a checkout of LeapLabTHU/ProCo (it holds ProCo_cifar/main.py)." >&2
    exit 2
fi
PUBLIC=$(cd "$1" && pwd)
EPOCHS=${2:-6}
SEEDS=${3:-0 1 2}
PRECISIONS=${4:-fp32 auto}
LR=${5:-0.3}
OUT=${OUT:-$PWD/bench-accuracy}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DATA=$OUT/data
PROCO=(dotnet "$PWD/src/Web/bin/Release/net10.0/proco.dll")
RUNNER=$PWD/scripts/accuracy/run_public.py
label=E$EPOCHS; [ "$LR" = 0.3 ] || label="${label}_lr$LR"

require_dotnet
ensure_fashion_mnist
if ! /usr/bin/python3 -c 'import torch, torchvision, scipy, PIL' >/dev/null 2>&1; then
    say "Installing Debian's python3-torch, python3-torchvision, python3-scipy and python3-pil for the public code"
    apt_install python3-torch python3-torchvision python3-scipy python3-pil || {
        echo "The public code needs /usr/bin/python3 with torch, torchvision, scipy and PIL (Debian's python3-* packages)." >&2; exit 1; }
fi
say "Building (Release)"
dotnet build src/Web/ProCo.Web.csproj -c Release -nologo -v quiet -clp:NoSummary
[ -f "$DATA/cifar-10-batches-py/test_batch" ] || /usr/bin/python3 scripts/accuracy/make_fake_cifar10.py "$FASHION_DIR" "$DATA"

# One run per core at a time, one thread each: both cores take the next run from one queue (the public code's seeds
# first, then ProCo Studio's, every precision), so neither waits while the other has work.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
jobs=()
for s in $SEEDS; do jobs+=("public $s"); done
for p in $PRECISIONS; do for s in $SEEDS; do jobs+=("$p $s"); done; done
queue=$OUT/.queue; printf '%s\n' "${jobs[@]}" > "$queue"; : > "$queue.taken"

run_job() { # core, "public SEED" or "PRECISION SEED"
    local core=$1 kind=$2 s=$3
    if [ "$kind" = public ]; then
        local log=$OUT/public_${label}_s$s.log
        grep -q "^EPOCHTIME $((EPOCHS - 1)) " "$log" 2>/dev/null && return
        (cd "$OUT" && taskset -c "$core" /usr/bin/python3 -u "$RUNNER" "$PUBLIC" --workers 0 --dataset cifar10 --imb_factor 0.01 \
            --lr "$LR" -b 256 --epochs "$EPOCHS" --data "$DATA" --root_log "$OUT/public-logs" --mark "public_${label}_s$s" \
            --seed "$s") > "$log" 2>&1 || echo "the public code's seed $s failed: see $log" >&2
    else
        local run=$OUT/ours-${kind}_${label}_s$s
        grep -q "^epoch $EPOCHS/$EPOCHS " "$run.log" 2>/dev/null && return
        rm -rf "$run"
        ProCo__Datasets__cifar10="$DATA/cifar-10-batches-py" ProCo__SearchSystemDatasets=false \
            taskset -c "$core" "${PROCO[@]}" train --preset cifar10-imb100-e200 --epochs "$EPOCHS" --lr "$LR" --precision "$kind" \
            --device cpu --seed "$s" --out "$run" > "$run.log" 2>&1 || echo "ProCo Studio's $kind seed $s failed: see $run.log" >&2
    fi
}
worker() { # core
    while true; do
        local job
        job=$(flock "$queue" bash -c 'n=$(wc -l < "$1.taken"); sed -n "$((n + 1))p" "$1" | tee -a "$1.taken"' _ "$queue")
        [ -n "$job" ] || return 0
        run_job "$1" $job
    done
}
say "Training E=$EPOCHS, seeds $SEEDS, lr $LR: the public code and ProCo Studio ($PRECISIONS), one run per core; logs in $OUT"
start=$(date +%s)
worker 0 &
worker 1 &
wait
say "Trained in $(( ($(date +%s) - start) / 60 )) minutes on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
/usr/bin/python3 scripts/accuracy/compare.py "$OUT" "$label" "$EPOCHS" $PRECISIONS
