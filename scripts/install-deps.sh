#!/usr/bin/env bash
# Installs the Debian packages Ember needs. Idempotent: packages already present are skipped.
#   scripts/install-deps.sh          build, tests and the demo
#   scripts/install-deps.sh --bench  also PyTorch, for the side-by-side benchmarks
#   scripts/install-deps.sh --fuzz   also clang with libFuzzer and its OpenMP, for make fuzz
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-format
  libopenblas-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libcli11-dev
  python3 python3-numpy
  libvulkan-dev glslc spirv-tools spirv-cross mesa-vulkan-drivers vulkan-validationlayers
  dataset-fashion-mnist
)
case "${1:-}" in
  --bench) packages+=(python3-torch) ;;
  --fuzz) packages+=(clang libclang-rt-14-dev libomp-14-dev) ;;
esac

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
