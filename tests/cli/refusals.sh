#!/usr/bin/env bash
# What `ember` refuses, each before training starts (or, for a diverging loss, at the read
# that shows it): out-of-range flags, an empty dataset, an output that cannot be written,
# and checkpoints whose metadata or optimizer state were tampered with. Each refusal is
# a non-zero exit and one short line naming the problem.
set -euo pipefail
ember="$1"
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
small=(--model linear --optimizer adam --train-samples 256 --test-samples 100 --batch-size 64)

expect_refusal() {  # a non-zero exit and a short message holding the needle
  local needle="$1"; shift
  if "$ember" "$@" >"$work/bad.out" 2>"$work/bad.err"; then fail "accepted: $*"; fi
  grep -qF -- "$needle" "$work/bad.err" || fail "no '$needle' in: $(cat "$work/bad.err")"
  [[ $(wc -l <"$work/bad.err") -le 2 ]] || fail "more than a short message for: $*"
  [[ $(head -n 1 "$work/bad.err" | wc -c) -le 300 ]] || fail "a long line for: $*"
  ! grep -q "terminate called" "$work/bad.err" || fail "uncaught exception for: $*"
  ! grep -q "epoch 1/" "$work/bad.err" || fail "trained before refusing: $*"
}

# Flags: CLI11's Range printed 1e300 with 301 digits; -1 wrapped to 2^64-1; -5 meant "all".
expect_refusal "--lr: 1e301 is out of range [0, 1e300]" train --lr 1e301
expect_refusal "--lr: nan is not a number" train --lr nan
expect_refusal "--lr: -0.5 is out of range" train --lr -0.5
expect_refusal "--seed: -1 is not an integer from 0 to 2^64-1" train --seed -1
expect_refusal "--seed: 18446744073709551616 is out of range" train --seed 18446744073709551616
expect_refusal "--train-samples: -5 is out of range: 0 to 2^40; 0: all" train --train-samples -5
expect_refusal "--test-samples: x is not an integer" train --test-samples x
expect_refusal "--batch-size: 0 is out of range: 1 to 2^40" train --batch-size 0
expect_refusal "--batch-size: 9223372036854775807 is out of range" train --batch-size 9223372036854775807
expect_refusal "--epochs: 16777217 is out of range: 1 to 2^24" train --epochs 16777217
expect_refusal "--steps: 0 is out of range" bench train --steps 0
expect_refusal "--warmup: -1 is out of range" bench train --warmup -1

"$ember" train --help >"$work/help.txt"
grep -q -- "--batch-size.*1 to 2^40" "$work/help.txt" || fail "no readable batch limit in --help"
grep -q -- "--lr.*\[0, 1e300\]" "$work/help.txt" || fail "no readable lr limit in --help"
! grep -q "1099511627776" "$work/help.txt" || fail "--help prints 2^40 in digits"

# CPU-type Vulkan devices (lavapipe) are hidden without a word about them or the switch.
if EMBER_VULKAN_ALLOW_CPU=1 "$ember" devices | grep -q "^vulkan:.*(cpu)$"; then
  env -u EMBER_VULKAN_ALLOW_CPU "$ember" devices >"$work/devices.txt"
  grep -q "^hidden: .*CPU-type Vulkan device.*EMBER_VULKAN_ALLOW_CPU=1" "$work/devices.txt" ||
    fail "devices does not say what it hides: $(cat "$work/devices.txt")"
  ! grep -q "^vulkan:" "$work/devices.txt" || fail "a CPU-type Vulkan device is listed"
  # What kernels choose their variants from is shown, with the test switches named.
  EMBER_VULKAN_ALLOW_CPU=1 EMBER_VULKAN_NO_SUBGROUPS=1 "$ember" devices >"$work/features.txt"
  for line in "subgroup size: [1-9]" \
      "subgroup operations: none (off: EMBER_VULKAN_NO_SUBGROUPS=1)" \
      "16-bit storage: \(yes\|no\)" "float16 arithmetic: " "int16: " "int64: " \
      "shared memory: [0-9]* KiB" "workgroup limits: [0-9]* invocations, " \
      "cooperative matrix: "; do
    grep -q "^  $line" "$work/features.txt" ||
      fail "devices lacks '$line': $(cat "$work/features.txt")"
  done
fi

# An empty dataset trained 0 steps and reported test_accuracy -nan with exit 0.
mkdir "$work/empty"
python3 - "$work/empty" <<'PY'
import gzip, struct, sys
root = sys.argv[1]
for split in ("train", "t10k"):
    with gzip.open(f"{root}/{split}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">I3I", 0x803, 0, 28, 28))
    with gzip.open(f"{root}/{split}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, 0))
PY
expect_refusal "the training set in $work/empty has no examples" train --data-root "$work/empty"

# Outputs that cannot be written were found only after the first epoch.
expect_refusal "--save $work is a directory" train "${small[@]}" --save "$work"
expect_refusal "--plot $work is a directory" train "${small[@]}" --plot "$work"
touch "$work/file"
expect_refusal "no directory $work/file" train "${small[@]}" --save "$work/file/x.safetensors"
mkdir "$work/readonly"
chmod 555 "$work/readonly"
if ! touch "$work/readonly/probe" 2>/dev/null; then  # root writes anywhere
  expect_refusal "cannot create a file there" train "${small[@]}" --save "$work/readonly/x"
fi
expect_refusal "cannot create a file there" train "${small[@]}" --save /proc/ember.safetensors
ls "$work" | grep -q "\.tmp\." && fail "a probe file was left behind"

# A diverging loss finished with "train_loss": null and exit 0.
expect_refusal "the training loss became nan" train --model mlp --train-samples 256 \
  --test-samples 100 --batch-size 64 --lr 1e6 --epochs 2 --save "$work/diverged.safetensors"
grep -qE "at step [0-9]+ of epoch 1; training stopped" "$work/bad.err" ||
  fail "no step and epoch in: $(cat "$work/bad.err")"
[[ ! -e "$work/diverged.safetensors" ]] || fail "a diverged run saved a checkpoint"

# Checkpoints: every field is held to the limits of its flag, and the optimizer state
# must be complete. A crafted batch size ran zero steps and exited 0.
"$ember" train "${small[@]}" --epochs 1 --save "$work/good.safetensors" >/dev/null 2>&1
edit() { python3 "$here/edit_checkpoint.py" "$work/good.safetensors" "$work/bad.safetensors" "$@"; }
resume() { expect_refusal "$1" train "${small[@]}" --epochs 2 --resume "$work/bad.safetensors"; }
edit --meta batch_size=9223372036854775807
resume "bad.safetensors: field 'batch_size': 9223372036854775807 is out of range: 1 to 2^40"
edit --meta batch_size=0
resume "field 'batch_size': 0 is out of range"
edit --meta batch_size=64x
resume "field 'batch_size': 64x is not an integer"
edit --meta epochs_done=-1
resume "field 'epochs_done': -1 is out of range: 0 to 2^24"
edit --meta lr=nan
resume "field 'lr': nan is not a number"
edit --meta lr=1e301
resume "field 'lr': 1e301 is out of range [0, 1e300]"
edit --meta seed=-1
resume "field 'seed': -1 is not an integer from 0 to 2^64-1"
edit --meta rng_offset=
resume "field 'rng_offset':  is not an integer"
edit --meta model=resnet
resume "field 'model': 'resnet' is not one of mlp, linear"
edit --meta history='{"step_loss":[],"epoch_loss":[null],"test_accuracy":[0.5]}'
resume "field 'history': epoch_loss holds something other than finite numbers"
edit --meta history='{"step_loss":[],"epoch_loss":[],"test_accuracy":[]}'
resume "field 'history': epoch_loss has 0 values for 1 epochs"
edit --meta history='[['
resume "field 'history': not a JSON object"
# A history of nested lists built a JSON tree as large as the text allowed.
edit --meta history="{\"step_loss\":$(printf '[%.0s' {1..100000})}"
resume "field 'history': nested deeper than an object of lists"
edit --meta history='{"step_loss":[],"epoch_loss":[1,2],"test_accuracy":[0.5]}'
resume "field 'history': epoch_loss has more than 1 values"
edit --drop optimizer.state.0.exp_avg_sq
resume "the state of parameter 0 has no 'exp_avg_sq' (state.0.exp_avg_sq)"
edit --scalar optimizer.step=F64:nan
resume "'step' is nan, not a finite integer in [0, 2^62]"
edit --scalar optimizer.state.1.step=F64:1e300
resume "'state.1.step' is 1e+300, not a finite integer"
edit --meta batch_size=0  # eval reads the same metadata
expect_refusal "field 'batch_size': 0 is out of range" eval --checkpoint "$work/bad.safetensors"
# An empty test set printed test_accuracy nan with exit 0.
expect_refusal "[eval] the test set in $work/empty has no examples" eval \
  --checkpoint "$work/good.safetensors" --data-root "$work/empty"

# Precision: a flag outside fp32, bf16 and fp16, a checkpoint's other precision or a
# tampered one, and an fp16 checkpoint whose loss scale is missing or not finite.
expect_refusal "--precision: fp8 not in {fp32,bf16,fp16}" train --precision fp8
expect_refusal "--precision: bf32 not in {fp32,bf16,fp16}" bench train --precision bf32
edit --meta precision=fp8
resume "field 'precision': 'fp8' is not one of fp32, bf16, fp16"
expect_refusal "was trained with precision fp32; resume with the same" train "${small[@]}" \
  --epochs 2 --precision bf16 --resume "$work/good.safetensors"
"$ember" train "${small[@]}" --epochs 1 --precision fp16 --save "$work/fp16.safetensors" \
  >/dev/null 2>&1
edit_fp16() { python3 "$here/edit_checkpoint.py" "$work/fp16.safetensors" "$work/bad.safetensors" "$@"; }
edit_fp16 --drop scaler.scale
resume "[GradScaler.load_state_dict] expects exactly \"scale\" and \"growth_tracker\""
edit_fp16 --scalar scaler.scale=F64:nan
resume "scale must be finite and positive, got nan"

# The untouched checkpoint still resumes.
"$ember" train "${small[@]}" --epochs 2 --resume "$work/good.safetensors" >"$work/ok.txt" 2>&1 ||
  fail "a good checkpoint does not resume: $(cat "$work/ok.txt")"
echo ok
