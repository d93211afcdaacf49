#!/usr/bin/env bash
# Quick start 2: install what is missing, build everything and run the whole test suite.
# Usage: scripts/test.sh [preset]   presets: release (default), ci (warnings are errors; the default when
# CI is set), debug (AddressSanitizer + UndefinedBehaviorSanitizer), tsan (ThreadSanitizer).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-}"
if [ -z "$preset" ]; then
  if [ -n "${CI:-}" ]; then preset=ci; else preset=release; fi
fi
scripts/install-deps.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)"
