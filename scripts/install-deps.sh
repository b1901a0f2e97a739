#!/usr/bin/env bash
# Installs the Debian bookworm packages Tessera builds and tests with. Idempotent: it
# installs only what is missing, and runs `apt-get update` once before the first install.
# When not root it prints the command to run instead and exits non-zero if anything is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev libspdlog-dev libre2-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
  # `make fuzz-smoke`: clang 14 builds the libFuzzer targets; libclang-rt-14-dev holds its
  # libFuzzer, AddressSanitizer and UBSan runtimes (only recommended by clang, so named here).
  clang libclang-rt-14-dev
  # Headless rendering of the `tessera simulate` HTML report in tests/report_test.cc.
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n bash -c "$cmd"
  fi
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root:  $cmd" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
