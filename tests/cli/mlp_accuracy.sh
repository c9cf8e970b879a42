#!/usr/bin/env bash
# The figure the MLP must reach: 784-512-512-10, AdamW lr 1e-3, batch 128, seed 0, three
# epochs on all of Fashion-MNIST; at least 0.855 test accuracy.
set -euo pipefail
summary=$("$1" train --model mlp --epochs 3 --batch-size 128 --lr 1e-3 --optimizer adamw \
  --seed 0 2>/dev/null | tail -n 1)
echo "$summary"
python3 -c '
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["test_accuracy"] >= 0.855 else "test accuracy below 0.855")
' "$summary"
