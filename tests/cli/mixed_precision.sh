#!/usr/bin/env bash
# `ember train --precision bf16` and `fp16` against fp32 on one device, with the same seed on
# the same data (the first 16384 training examples and the whole test set by default, one
# epoch): each test accuracy within 0.5 points of fp32's, each mean training loss within 2^-9
# (bfloat16's unit roundoff) relative of fp32's, and the precision in the JSON summary. Then an
# fp16 checkpoint keeps its loss scale for --resume.
#
# The loss bound is the sharp check on small data. On vulkan (lavapipe) the default suite trains
# 1024 examples (8 steps) and tests on 1000, so 0.5 points is 5 test samples. Measured there
# with seeds 0, 1 and 2: bf16 and fp16 were 0.1 to 0.5 points from fp32 (seed 0: 0.1 and 0.1)
# and 0.01 % to 0.06 % in mean loss, while fp32 runs with seeds 1 and 2 were 3.1 and 0 points
# and 1.2 % and 1.1 % in mean loss from seed 0's. So 1000 test samples resolve the accuracy only
# to a few samples, and a 16-bit run that drifts like an independent run is caught by its loss.
# With 512 examples, 16-bit runs were 0.4 points from fp32, too close to the bound.
# Usage: mixed_precision.sh EMBER DEVICE [TRAIN_SAMPLES TEST_SAMPLES EPOCHS]
set -euo pipefail
ember=$1
device=$2
train=${3:-16384}
test=${4:-0}
epochs=${5:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {
  "$ember" train --model mlp --epochs "$epochs" --batch-size 128 --lr 1e-3 --optimizer adamw \
    --seed 0 --train-samples "$train" --test-samples "$test" --device "$device" \
    --precision "$@" 2>/dev/null | tail -n 1
}
fp32=$(run fp32)
bf16=$(run bf16)
fp16=$(run fp16 --save "$work/fp16.safetensors")
echo "fp32: $fp32"
echo "bf16: $bf16"
echo "fp16: $fp16"
python3 -c '
import json, sys
runs = {name: json.loads(text) for name, text in zip(("fp32", "bf16", "fp16"), sys.argv[1:4])}
for name, run in runs.items():
    if run["precision"] != name: sys.exit(name + " run reports precision " + run["precision"])
for name in ("bf16", "fp16"):
    gap = abs(runs[name]["test_accuracy"] - runs["fp32"]["test_accuracy"])
    if gap > 0.005: sys.exit(f"{name} test accuracy differs from fp32 by {gap:.4f}")
    drift = abs(runs[name]["train_loss"] / runs["fp32"]["train_loss"] - 1)
    if drift > 2**-9: sys.exit(f"{name} mean training loss differs from fp32 by {drift:.2e}")
' "$fp32" "$bf16" "$fp16"

# The checkpoint holds the scaler and says fp16; resuming continues in fp16 from it, for one
# step on one batch, since this checks the checkpoint and not the accuracy.
python3 - "$work/fp16.safetensors" <<'PY'
import json, struct, sys
with open(sys.argv[1], "rb") as f:
    header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
assert header["__metadata__"]["precision"] == "fp16", header["__metadata__"]
for key in ("scaler.scale", "scaler.growth_tracker"):
    assert key in header, f"no {key} in the checkpoint"
PY
resumed=$("$ember" train --epochs $((epochs + 1)) --resume "$work/fp16.safetensors" \
  --train-samples 128 --test-samples 128 --device "$device" 2>/dev/null | tail -n 1)
echo "resumed: $resumed"
python3 -c '
import json, sys
run = json.loads(sys.argv[1])
assert run["precision"] == "fp16" and run["epochs"] == int(sys.argv[2]) + 1, run
' "$resumed" "$epochs"
echo "ok"
