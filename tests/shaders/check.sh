#!/bin/sh
# Every embedded shader must be valid SPIR-V for Vulkan 1.1, use no float64 and no 64-bit
# atomics (DESIGN §1.6), and translate to Metal Shading Language as MoltenVK will. Only the
# variants with 16-bit tensors (named with f16 or bf16: unary_f16, unary_f32_from_bf16) may
# need 16-bit storage: the others are what a device without it runs. Likewise only the
# subgroup builds of a workgroup reduction (reduce_subgroup, softmax_f16_subgroup) may
# declare subgroup capabilities, and they must declare subgroup arithmetic: every other
# module, the tree builds among them, is what a device without it runs.
# Usage: check.sh SPIRV_DIR
set -eu
dir=$1
count=0
for spv in "$dir"/*.spv; do
  name=$(basename "$spv" .spv)
  spirv-val --target-env vulkan1.1 "$spv" || { echo "$name: spirv-val failed"; exit 1; }
  capabilities=$(spirv-dis "$spv" | grep OpCapability)
  for forbidden in Float64 Int64Atomics; do
    if echo "$capabilities" | grep -qw "$forbidden"; then
      echo "$name: uses $forbidden"
      exit 1
    fi
  done
  case "$name" in
    *_f16* | *_bf16*) ;;
    *)
      if echo "$capabilities" | grep -qw StorageBuffer16BitAccess; then
        echo "$name: needs 16-bit storage but is no 16-bit variant"
        exit 1
      fi
      ;;
  esac
  case "$name" in
    *_subgroup)
      if ! echo "$capabilities" | grep -qw GroupNonUniformArithmetic; then
        echo "$name: a subgroup build lacks GroupNonUniformArithmetic"
        exit 1
      fi
      ;;
    *)
      if echo "$capabilities" | grep -q GroupNonUniform; then
        echo "$name: declares a subgroup capability but is no subgroup build"
        exit 1
      fi
      ;;
  esac
  spirv-cross --msl --msl-version 20300 "$spv" --output /dev/null ||
    { echo "$name: spirv-cross --msl failed"; exit 1; }
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "no shaders in $dir"; exit 1; }
echo "ok: $count shaders"
