#!/usr/bin/env bash
# The ember command end to end on a slice of Fashion-MNIST: training, its JSON summary,
# checkpoints, a resumed run that ends bit for bit where an uninterrupted one does, eval,
# the plot, and one clear line with a non-zero exit for each kind of bad input.
set -euo pipefail
ember="$1"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
slice=(--model mlp --train-samples 1024 --test-samples 500 --batch-size 64 --seed 3)

"$ember" train "${slice[@]}" --epochs 3 --save "$work/straight.safetensors" \
  --plot "$work/curves.svg" >"$work/out.txt" 2>"$work/err.txt"
tail -n 1 "$work/out.txt" | python3 -c '
import json, sys
s = json.loads(sys.stdin.read())
for key in ("model", "device", "epochs", "train_loss", "test_accuracy", "samples_per_sec", "wall_seconds"):
    assert key in s, key
assert s["model"] == "mlp" and s["epochs"] == 3, s
assert 0.5 < s["test_accuracy"] <= 1 and 0 < s["train_loss"] < 1.5, s
' || fail "bad JSON summary: $(tail -n 1 "$work/out.txt")"
grep -q "epoch 3/3" "$work/err.txt" || fail "no progress lines on stderr"
grep -q "<svg" "$work/curves.svg" || fail "no SVG plot"

"$ember" train "${slice[@]}" --epochs 2 --save "$work/resumed.safetensors" >/dev/null 2>&1
# Without --seed and --batch-size: a resumed run takes them from its checkpoint.
"$ember" train --model mlp --train-samples 1024 --test-samples 500 --epochs 3 \
  --resume "$work/resumed.safetensors" --save "$work/resumed.safetensors" \
  >"$work/resume.txt" 2>/dev/null
grep -q "resumed from" "$work/resume.txt" || fail "resume not reported"
cmp -s "$work/straight.safetensors" "$work/resumed.safetensors" ||
  fail "a resumed run does not end bit for bit where the uninterrupted one does"

"$ember" eval --checkpoint "$work/straight.safetensors" >"$work/eval.txt"
grep -q "^test_accuracy 0\.[0-9]*" "$work/eval.txt" || fail "eval printed $(cat "$work/eval.txt")"

expect_refusal() {  # a non-zero exit and one short line naming the problem
  local needle="$1"; shift
  if "$ember" "$@" >"$work/bad.out" 2>"$work/bad.err"; then fail "accepted: $*"; fi
  grep -q -- "$needle" "$work/bad.err" || fail "no '$needle' in: $(cat "$work/bad.err")"
  # CLI11 adds a second line pointing at --help for bad flags.
  [[ $(wc -l <"$work/bad.err") -le 2 ]] || fail "more than a short message for: $*"
  ! grep -q "terminate called" "$work/bad.err" || fail "uncaught exception for: $*"
}
expect_refusal "unknown model" train --model resnet9000
expect_refusal "not in" train --optimizer lion
expect_refusal "cannot open" train --data-root "$work/nowhere"
expect_refusal "device" train --device tpu
printf 'not a checkpoint' >"$work/garbage.safetensors"
expect_refusal "load_safetensors" eval --checkpoint "$work/garbage.safetensors"
expect_refusal "load_safetensors" train "${slice[@]}" --resume "$work/curves.svg"
expect_refusal "resume with the same" train --model mlp --train-samples 1024 --seed 4 \
  --epochs 4 --resume "$work/straight.safetensors"
expect_refusal "no directory" train "${slice[@]}" --save "$work/missing/dir/x.safetensors"
echo ok
