#!/usr/bin/env bash
# Quick start 1: install what is missing, build rtstep (release) and run the bundled example job.
# Extra arguments go to `rtstep run`, e.g. --json or --virtual-clock.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target rtstep -j "$(nproc)"
exec build/release/src/cli/rtstep run --config examples/printer.cfg examples/square.gcode "$@"
