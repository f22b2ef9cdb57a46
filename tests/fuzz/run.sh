#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan) in build-fuzz/ and runs each for SECONDS (default 20)
# from seeds made of the repository's own files. Any crash, sanitizer report, leak or timeout fails the
# run; libFuzzer leaves the input that did it as build-fuzz/crash-*, which becomes a test.
#   tests/fuzz/run.sh [SECONDS] [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-20}
build=${2:-build-fuzz}
src=$(pwd)

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DBITLOOP_FUZZ=ON -DBITLOOP_WITH_TORCH=OFF -DBITLOOP_WITH_GUI=OFF -DBITLOOP_BUILD_TESTS=OFF >/dev/null
readers=(architecture ert constraints problem mapping network bits front_csv checkpoint_info supernet_info
  run_settings nsga2_state run_checkpoint onnx)
mkdir -p "$build"
if ! cmake --build "$build" --target "${readers[@]/#/fuzz_}" >"$build/build.log" 2>&1; then
  tail -30 "$build/build.log"
  exit 1
fi

seed() { # reader -> seed files
  case "$1" in
    architecture) ls arch_presets/*.yaml tests/data/io/*/arch.yaml tests/data/io/warn-arch.yaml ;;
    ert) ls tests/data/io/*/ert.yaml ;;
    constraints) ls tests/data/io/*/*constraints.yaml tests/data/io/bad/constraint-*.yaml ;;
    problem) ls tests/data/io/*/layer2-*.yaml tests/data/io/layer-dw.yaml tests/data/io/bad/problem-*.yaml ;;
    mapping) ls tests/data/io/simba16/layer2-w4-map.yaml tests/data/io/bad/mapping-*.yaml ;;
    network) ls tests/data/networks/*.yaml ;;
    bits | front_csv | checkpoint_info | supernet_info | run_settings | nsga2_state | run_checkpoint | onnx)
      ls "tests/fuzz/seeds/$1"/* ;;
  esac
}

status=0
for r in "${readers[@]}"; do
  corpus="$build/corpus/$r"
  mkdir -p "$corpus"
  for f in $(seed "$r"); do cp "$f" "$corpus/"; done
  # Eyeriss's constraints and mappings name its levels; the harness reads them against eyeriss16.
  if (cd "$build" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      "./bin/fuzz_$r" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=0 "corpus/$r" >"fuzz_$r.log" 2>&1); then
    echo "fuzz_$r: $(grep -E '^#[0-9]+' "$build/fuzz_$r.log" | tail -1 | awk '{print substr($1, 2)}') inputs, no crash"
  else
    echo "fuzz_$r: FAILED (see $build/fuzz_$r.log)"
    tail -40 "$build/fuzz_$r.log"
    status=1
  fi
done
exit $status
