#!/usr/bin/env bash
# CI step: builds the libFuzzer targets (fuzz preset: clang, ASan + UBSan) and runs each for a bounded
# time from its seed corpus. Any crash, sanitizer report, invariant failure, leak, timeout or out-of-memory
# fails the step; the input that did it is kept in build/fuzz/artifacts/<target>/ (docs/FUZZING.md).
#
# Usage: scripts/fuzz.sh [SECONDS-PER-TARGET] [TARGET...]
#   scripts/fuzz.sh                  every target for 15 s (about 1.5 minutes in all, plus the build)
#   scripts/fuzz.sh 600              the long run, 10 minutes per target
#   scripts/fuzz.sh 60 config hal    only these targets
# Environment:
#   RTSTEP_FUZZ_RUNS=N         run each target for N executions instead of a time (e.g. 10000000)
#   RTSTEP_FUZZ_BUILD_DIR=DIR  build elsewhere than build/fuzz (the preset's folder)
#   RTSTEP_FUZZ_JOBS=N         build jobs (default: number of CPUs)
#   RTSTEP_FUZZ_TIMEOUT=S      seconds one input may take before it counts as a hang (default 10). The limit is
#                              wall time: a long run at idle priority beside builds needs more (e.g. 120).
# Corpora grow in DIR/corpus/<target>/ between runs; the seeds in fuzz/corpus/<target>/ are only read.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-15}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(gcode_line gcode_file config hal trace ring mcu_block mcu_dictionary macro_template)
build_dir="${RTSTEP_FUZZ_BUILD_DIR:-build/fuzz}"
jobs="${RTSTEP_FUZZ_JOBS:-$(nproc)}"

# Inputs longer than this are not generated. Whole files are kept short so that runs stay fast; a single
# line may exceed the reader's 512-byte limit, and so may a file of the file-level targets.
max_len() {
  case "$1" in
    gcode_file | config | hal) echo 1024 ;;
    *) echo 4096 ;;
  esac
}

if [ "$build_dir" = build/fuzz ]; then
  cmake --preset fuzz >/dev/null
else
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
    -DRTSTEP_SANITIZERS=address,undefined -DRTSTEP_BUILD_FUZZERS=ON -DRTSTEP_BUILD_TESTS=OFF \
    -DRTSTEP_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$build_dir" -j "$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

limit=(-max_total_time="$seconds")
[ -n "${RTSTEP_FUZZ_RUNS:-}" ] && limit=(-runs="$RTSTEP_FUZZ_RUNS")

failed=()
for t in "${targets[@]}"; do
  corpus="$build_dir/corpus/$t"
  artifacts="$build_dir/artifacts/$t"
  log="$build_dir/logs/$t.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  echo "fuzz: $t (${limit[*]}, max_len $(max_len "$t"))"
  if "$build_dir/fuzz/fuzz_$t" "${limit[@]}" -timeout="${RTSTEP_FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -max_len="$(max_len "$t")" \
       -print_final_stats=1 -artifact_prefix="$artifacts/" "$corpus" "fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "fuzz: $t passed: ${runs:-?} executions, no finding"
  else
    echo "fuzz: $t FAILED (log: $log, inputs: $artifacts/)" >&2
    grep -E "ERROR|invariant|runtime error|SUMMARY" "$log" | head -20 >&2 || true
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: findings in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets passed"
