#!/usr/bin/env python3
"""The workloads of bench/ops.cpp in PyTorch, timed the same way; prints JSON.

Each benchmark runs for about min_time seconds per repetition; the median of the
repetitions' per-iteration times is reported, as Google Benchmark's aggregates do.
"""
import argparse
import json
import os
import statistics
import time

import torch

MILLION = 1 << 20
SOFTMAX_ROW = 1024


DEVICE = torch.device("cpu")


def inputs(n, seed):
    torch.manual_seed(seed)
    return torch.randn(n, device=DEVICE)


def workloads():
    for n in (MILLION, 16 * MILLION):
        a, b = inputs(n, 1), inputs(n, 2)
        yield f"add/{n}", lambda a=a, b=b: a + b
        yield f"mul/{n}", lambda a=a, b=b: a * b
        yield f"exp/{n}", lambda a=a: torch.exp(a)
        yield f"sum/{n}", lambda a=a: a.sum()
        rows = a.reshape(-1, SOFTMAX_ROW)
        yield f"softmax/{n}", lambda r=rows: torch.softmax(r, -1)
    for n in (512, 1024, 2048):
        a, b = inputs(n * n, 1).reshape(n, n), inputs(n * n, 2).reshape(n, n)
        yield f"matmul/{n}", lambda a=a, b=b: a @ b
    for n in (1024, 2048):
        a, b = inputs(n * n, 1).reshape(n, n), inputs(n * n, 2).reshape(n, n)
        a16, b16 = a.bfloat16(), b.bfloat16()
        yield f"matmul_bf16/{n}", lambda a=a16, b=b16: a @ b
        if DEVICE.type != "cpu":  # PyTorch 1.13 has no float16 matmul on the CPU
            a16, b16 = a.half(), b.half()
            yield f"matmul_f16/{n}", lambda a=a16, b=b16: a @ b
    one_a, one_b = torch.ones(1, device=DEVICE), torch.ones(1, device=DEVICE)
    yield "add_one_element", lambda: one_a + one_b
    if DEVICE.type == "cpu":
        return
    # The workloads that size a GPU: copy bandwidth, a large elementwise op, a large matmul.
    big, other = inputs(64 * MILLION, 1), inputs(64 * MILLION, 2)
    yield f"copy/{64 * MILLION}", lambda: big.clone()
    yield f"add/{64 * MILLION}", lambda: big + other
    a, b = inputs(4096 * 4096, 1).reshape(4096, 4096), inputs(4096 * 4096, 2).reshape(4096, 4096)
    yield "matmul/4096", lambda: a @ b


def wait_for_device():
    if DEVICE.type == "cuda":
        torch.cuda.synchronize()


def synchronized(fn):
    """Each call waits for the device, as Ember's GPU benchmarks do."""
    if DEVICE.type != "cuda":
        return fn

    def call():
        fn()
        wait_for_device()
    return call


# The workloads that time the host cost of an op, and how many ops run between waits.
HOST_COST = {"add_one_element"}
OPS_BETWEEN_WAITS = 256


def seconds_per_op_between_waits(fn, min_time, repetitions):
    """As bench/ops.cpp's add_one_element: runs of OPS_BETWEEN_WAITS calls are timed, and
    the device catches up between runs, outside the timed region."""
    def run():
        start = time.perf_counter()
        for _ in range(OPS_BETWEEN_WAITS):
            fn()
        elapsed = time.perf_counter() - start
        wait_for_device()
        return elapsed
    runs = max(1, int(min_time / max(run(), 1e-9)))
    samples = [sum(run() for _ in range(runs)) / (runs * OPS_BETWEEN_WAITS)
               for _ in range(repetitions)]
    return statistics.median(samples)


def seconds_per_iteration(fn, min_time, repetitions):
    for _ in range(3):
        fn()
    iterations = 1
    while True:  # find an iteration count that fills min_time
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            break
        iterations *= 2 if elapsed < min_time / 4 else 1
        iterations = max(iterations, int(iterations * min_time / max(elapsed, 1e-9)))
    samples = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(iterations):
            fn()
        samples.append((time.perf_counter() - start) / iterations)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--min-time", type=float, default=0.5)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--filter", default="")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args()
    global DEVICE
    DEVICE = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False  # float32 means float32 on both sides
    torch.set_num_threads(os.cpu_count())
    results = {}
    with torch.no_grad():
        for name, fn in workloads():
            if args.filter in name:
                if name in HOST_COST:
                    seconds = seconds_per_op_between_waits(fn, args.min_time, args.repetitions)
                else:
                    seconds = seconds_per_iteration(synchronized(fn), args.min_time,
                                                    args.repetitions)
                results[name] = seconds
    print(json.dumps({"torch_version": torch.__version__, "threads": torch.get_num_threads(),
                      "seconds": results}))


if __name__ == "__main__":
    main()
