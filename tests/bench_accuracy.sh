#!/bin/sh
# The QAT engine's accuracy figures (docs/benchmarks.md): a float baseline of MobileNetV1 and V2 on the
# whole Fashion-MNIST training set (10% held out for validation), then uniform W/A QAT of one epoch from
# it (over the first QAT_IMAGES images of the training part) at uniform W/A bits, each measured on the
# 10,000 test images, with the time each took.
# Usage: tests/bench_accuracy.sh BUILD_DIR WORK_DIR [EPOCHS_V1 EPOCHS_V2 THREADS QAT_IMAGES]
set -eu
build=${1:?build directory}; work=${2:?work directory}
e1=${3:-5}; e2=${4:-3}; threads=${5:-2}; qatImages=${6:-54000}
cli="$build/bin/bitloop-cli"
mkdir -p "$work"
field() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p"; }

run_net() { # name width epochs bits...
    ckpt="$work/$1.pt"
    if [ ! -f "$ckpt" ]; then
        "$cli" train --network "$1" --width "$2" --epochs "$3" --batch 32 --threads "$threads" \
            --out "$ckpt" --json > "$work/$1.train.json" 2> "$work/$1.train.log"
    fi
    j=$(cat "$work/$1.train.json")
    printf '| %s x%s | float (%s epochs) | %s | %s | %.0f s |\n' "$1" "$2" "$3" \
        "$(echo "$j" | field validation_accuracy)" "$(echo "$j" | field test_accuracy)" \
        "$(echo "$j" | field train_seconds)"
    name=$1; width=$2; shift 3
    for b in "$@"; do
        j=$("$cli" accuracy --checkpoint "$ckpt" --wbits $b --abits $b --evaluator qat --epochs 1 --test \
            --train-limit "$qatImages" --threads "$threads" --cache-dir "$work/cache" --json \
            2> "$work/$name.qat$b.log")
        printf '| %s x%s | QAT %s/%s, 1 epoch of %s images | | %s | %.0f s |\n' "$name" "$width" $b $b "$qatImages" \
            "$(echo "$j" | field accuracy)" "$(echo "$j" | field seconds)"
    done
}

echo "| network | model | validation top-1 | test top-1 | time |"
echo "|---|---|---|---|---|"
run_net mobilenet_v1 0.25 "$e1" 8 6 4 3 2
run_net mobilenet_v2 0.35 "$e2" 8 6 4 3 2
