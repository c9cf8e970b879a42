#!/usr/bin/env python3
"""Runs Ember's and PyTorch's benchmarks in one go and prints the ratio per workload.

ratio = Ember's time / PyTorch's time: below 1 Ember is faster. The two alternate for a
few rounds and each keeps its best round, so that a burst of noise on a shared machine
does not land on one side only.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def ember_seconds(binary, min_time, repetitions, name_filter, device):
    command = [binary, "--benchmark_format=json", f"--benchmark_min_time={min_time}",
               f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true"]
    if name_filter:
        command.append(f"--benchmark_filter={re.escape(name_filter)}")
    env = dict(os.environ, EMBER_BENCH_DEVICE=device)
    report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True,
                                       env=env).stdout)
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}
    seconds = {}
    for row in report["benchmarks"]:
        if row.get("aggregate_name") == "median":
            seconds[row["run_name"].replace("/real_time", "")] = row["real_time"] * scale[row["time_unit"]]
    return seconds, report["context"]


def torch_seconds(min_time, repetitions, name_filter, device):
    command = [sys.executable, os.path.join(HERE, "torch", "ops.py"), f"--min-time={min_time}",
               f"--repetitions={repetitions}", f"--filter={name_filter}", f"--device={device}"]
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)


def pretty(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.3f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


def write_svg(path, rows):
    height = 24 * len(rows) + 40
    bars = []
    for i, (name, ratio) in enumerate(rows):
        y = 30 + 24 * i
        width = min(ratio, 3.0) * 150
        colour = "#2a9d8f" if ratio <= 1.0 else "#e76f51"
        bars.append(f'<text x="150" y="{y + 14}" text-anchor="end" font-size="12">{name}</text>'
                    f'<rect x="160" y="{y}" width="{width:.1f}" height="18" fill="{colour}"/>'
                    f'<text x="{165 + width:.1f}" y="{y + 14}" font-size="12">{ratio:.2f}x</text>')
    with open(path, "w") as f:
        f.write(f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" '
                f'font-family="sans-serif"><text x="10" y="18" font-size="14">Ember time / '
                f'PyTorch time (below 1 is faster)</text>'
                f'<line x1="310" y1="25" x2="310" y2="{height}" stroke="#333" stroke-dasharray="4"/>'
                + "".join(bars) + "</svg>\n")


def print_precision_ratios(ember, theirs):
    """16-bit matmul against float32 matmul of the same size, on each side."""
    lines = []
    for name, seconds in ember.items():
        kind, _, size = name.partition("/")
        if not kind.startswith("matmul_") or f"matmul/{size}" not in ember:
            continue
        ours = seconds / ember[f"matmul/{size}"]
        if name in theirs and f"matmul/{size}" in theirs:
            reference = f"{theirs[name] / theirs[f'matmul/{size}']:>8.2f}x"
        else:
            reference = f"{'-':>9}"
        lines.append(f"{name:<24}{ours:>8.2f}x{reference}")
    if lines:
        print(f"\n{'time / float32 matmul':<24}{'Ember':>9}{'PyTorch':>9}")
        print("\n".join(lines))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ember", required=True, help="path to the ember_bench binary")
    parser.add_argument("--min-time", type=float, default=0.5)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--filter", default="", help="only workloads whose name contains this")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="write the numbers here")
    parser.add_argument("--svg", help="write a bar chart of the ratios here")
    parser.add_argument("--device", default="cpu", help="Ember's device (cpu, vulkan:0)")
    parser.add_argument("--torch-device", default="cpu", help="PyTorch's device (cpu, cuda)")
    args = parser.parse_args()

    ember, torch_rounds = {}, []
    for _ in range(args.rounds):
        seconds, context = ember_seconds(args.ember, args.min_time, args.repetitions, args.filter,
                                         args.device)
        for name, value in seconds.items():
            ember[name] = min(value, ember.get(name, value))
        torch_rounds.append(torch_seconds(args.min_time, args.repetitions, args.filter,
                                          args.torch_device))
    torch = torch_rounds[-1]
    torch["seconds"] = {name: min(r["seconds"][name] for r in torch_rounds)
                        for name in torch["seconds"]}
    print(f"machine: {context.get('num_cpus')} CPUs at {context.get('mhz_per_cpu')} MHz; "
          f"PyTorch {torch['torch_version']} with {torch['threads']} threads")
    print(f"{'workload':<24}{'Ember':>14}{'PyTorch':>14}{'ratio':>9}")
    rows = []
    for name, seconds in ember.items():
        theirs = torch["seconds"].get(name)
        if theirs is None:
            continue
        ratio = seconds / theirs
        rows.append((name, ratio))
        print(f"{name:<24}{pretty(seconds):>14}{pretty(theirs):>14}{ratio:>8.2f}x")
    print_precision_ratios(ember, torch["seconds"])
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"ember_seconds": ember, "torch_seconds": torch["seconds"],
                       "torch_version": torch["torch_version"]}, f, indent=1)
    if args.svg:
        write_svg(args.svg, rows)


if __name__ == "__main__":
    main()
