#!/usr/bin/env python3
"""Training throughput of the MLP in Ember and in PyTorch, in one run, with the ratio.

ratio = Ember's samples/s / PyTorch's samples/s: above 1 Ember is faster. --precision
lists the precisions to compare (fp32,bf16 by default: bf16 under autocast in both).
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def last_json_line(command):
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ember", required=True, help="path to the ember command")
    parser.add_argument("--device", default="cpu", help="Ember's device")
    parser.add_argument("--torch-device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the two this many times")
    parser.add_argument("--precision", default="fp32,bf16",
                        help="comma-separated: fp32, bf16, fp16")
    args = parser.parse_args()
    precisions = args.precision.split(",")

    common = [f"--batch-size={args.batch_size}", f"--steps={args.steps}"]
    ember_command = [args.ember, "bench", "train", "--model", "mlp", "--device", args.device]
    torch_command = [sys.executable, os.path.join(HERE, "torch", "train_mlp.py"),
                     f"--device={args.torch_device}"]
    ember = {p: [] for p in precisions}
    torch = {p: [] for p in precisions}
    for _ in range(args.rounds):  # alternating spreads the machine's noise over both
        for p in precisions:
            precision = [f"--precision={p}"]
            ember[p].append(last_json_line(ember_command + common + precision)["samples_per_sec"])
            result = last_json_line(torch_command + common + precision)
            torch[p].append(result["samples_per_sec"])
    print(f"MLP training, batch {args.batch_size}, AdamW; best of {args.rounds} rounds of "
          f"{args.steps} timed steps; PyTorch {result['torch_version']}, {result['threads']} threads")
    print(f"{'precision':<10}{'Ember':>12}{'PyTorch':>12}{'ratio':>8}   samples/s, Ember on "
          f"{args.device}, PyTorch on {args.torch_device}")
    for p in precisions:
        ember_best, torch_best = max(ember[p]), max(torch[p])
        print(f"{p:<10}{ember_best:>12.0f}{torch_best:>12.0f}{ember_best / torch_best:>7.2f}x")


if __name__ == "__main__":
    main()
