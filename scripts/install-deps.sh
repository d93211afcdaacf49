#!/usr/bin/env bash
# Installs the Debian 12 packages rtstep builds with, when any is missing. Needs root (or sudo) only then.
set -euo pipefail

packages=(build-essential cmake g++ libcli11-dev libfmt-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev libbenchmark-dev libgpiod-dev pkg-config libasio-dev
          zlib1g-dev  # the MCU data dictionary is zlib-compressed (src/mcu)
          python3  # tests/api/klippy_client.py, the scripted Moonraker-side client
          clang libclang-rt-14-dev llvm  # clang, libFuzzer and llvm-symbolizer: scripts/fuzz.sh
          libsystemd-dev  # sd_notify: rtstep serve as a systemd Type=notify service
          pronsole  # Printrun's console client: tests/cli drive rtstep serve's printer terminal with it
          ccache)  # keeps objects between clean clones (cmake/Options.cmake)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "rtstep: installing missing Debian packages: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
