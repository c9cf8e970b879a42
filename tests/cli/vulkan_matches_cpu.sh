#!/usr/bin/env bash
# `ember train --device vulkan` against the CPU on the same data, seed and batches, with
# no CPU fallback allowed: the mean training loss must agree to LOSS_TOLERANCE relative
# (1e-3 by default; rounding differences grow over long runs) and the test accuracy to 0.01.
# Usage: vulkan_matches_cpu.sh EMBER [TRAIN_SAMPLES TEST_SAMPLES EPOCHS LOSS_TOLERANCE]
set -euo pipefail
ember=$1
train=${2:-2048}
test=${3:-1000}
epochs=${4:-1}
loss_tolerance=${5:-1e-3}
run() {
  EMBER_FALLBACK=error "$ember" train --model mlp --epochs "$epochs" --batch-size 128 --lr 1e-3 \
    --optimizer adamw --seed 0 --train-samples "$train" --test-samples "$test" --device "$1" \
    2>/dev/null | tail -n 1
}
cpu=$(run cpu)
gpu=$(run vulkan)
echo "cpu:    $cpu"
echo "vulkan: $gpu"
python3 -c '
import json, sys
cpu, gpu = json.loads(sys.argv[1]), json.loads(sys.argv[2])
loss_tolerance = float(sys.argv[3])
assert gpu["device"].startswith("vulkan"), gpu["device"]
loss_gap = abs(gpu["train_loss"] - cpu["train_loss"]) / cpu["train_loss"]
accuracy_gap = abs(gpu["test_accuracy"] - cpu["test_accuracy"])
if loss_gap > loss_tolerance: sys.exit(f"train loss differs by {loss_gap:.2e} relative")
if accuracy_gap > 0.01: sys.exit(f"test accuracy differs by {accuracy_gap:.4f}")
print("ok")
' "$cpu" "$gpu" "$loss_tolerance"
