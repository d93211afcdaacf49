#!/usr/bin/env bash
# CI step: every test of the layers that use threads or cross-thread shared memory (ipc ring, rt executor,
# periodic and thread runtime, trace writer, gpio sim backend, hal threads, cli split mode and tools) and
# the fault matrix under ThreadSanitizer, built from the tsan preset. Any race report fails the step (halt_on_error).
#
# Usage: scripts/tsan.sh [ctest arguments...]
#   scripts/tsan.sh                      all threaded modules (the CI step)
#   scripts/tsan.sh -R 'SegmentRing'     only tests whose name matches, e.g. while fixing a race
# Environment: RTSTEP_TSAN_BUILD_DIR (default build/tsan, the preset's folder) to build elsewhere;
#   RTSTEP_TSAN_LABELS (ctest -L regex of modules, default below);
#   RTSTEP_TSAN_JOBS (default: number of CPUs) for the build and ctest.
#
# Under ThreadSanitizer, SCHED_FIFO and mlockall behave as on the plain build except that TSan's runtime
# makes mlockall a no-op: the one test that needs a refused mlockall says so when it skips (see the list of
# skipped tests printed at the end). Real-time threads still run; their timing is not asserted in unit tests.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir="${RTSTEP_TSAN_BUILD_DIR:-build/tsan}"
jobs="${RTSTEP_TSAN_JOBS:-$(nproc)}"
# The test executables of the threaded modules, and the binary their process tests start.
targets=(rtstep rtstep_ipc_tests rtstep_rt_tests rtstep_executor_tests rtstep_trace_tests rtstep_gpio_tests rtstep_hal_tests rtstep_machine_tests rtstep_api_tests
         rtstep_cli_tests rtstep_fault_tests)
# The fault matrix runs the TSan-built rtstep as its processes: TSAN_OPTIONS reaches them, so a race in
# either process of a split job fails its case (the process exits 66 instead of the code the case expects).
labels="${RTSTEP_TSAN_LABELS:-^(ipc|rt|executor|trace|gpio|hal|machine|api|cli|fault)\$}"

start=$(date +%s)
scripts/install-deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Debug -DRTSTEP_SANITIZERS=thread -DRTSTEP_BUILD_BENCHMARKS=OFF \
      -DRTSTEP_WARNINGS_AS_ERRORS=ON >/dev/null
cmake --build "$build_dir" -j "$jobs" --target "${targets[@]}"
built=$(date +%s)

# halt_on_error: the first race fails the test. second_deadlock_stack: both stacks of a lock-order report.
# history_size: longer memory of past accesses, so a report names both sides.
export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 history_size=4 ${TSAN_OPTIONS:-}"
status=0
ctest --test-dir "$build_dir" -L "$labels" -j "$jobs" --output-on-failure --no-tests=error "$@" || status=$?

log="$build_dir/Testing/Temporary/LastTest.log"
if [ -f "$log" ]; then
  skipped=$(grep -o '^\[  SKIPPED \] [A-Za-z][A-Za-z0-9_./]*' "$log" | sort -u || true)
  if [ -n "$skipped" ]; then
    echo "Skipped under ThreadSanitizer (each prints its reason above):"
    echo "$skipped"
  fi
fi
end=$(date +%s)
echo "tsan: build $((built - start)) s, tests $((end - built)) s, total $((end - start)) s"
exit "$status"
