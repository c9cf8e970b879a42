#!/usr/bin/env python3
"""Marks saved fuzz inputs as ones the code must refuse (see tests/fuzz/expected_refusal.h).

  mark_refused.py FILE...   rewrites each FILE with the "#refuse <hash>" first line
"""
import sys

MARKER = b"#refuse "


def fnv1a(data: bytes) -> int:
    value = 0xCBF29CE484222325
    for byte in data:
        value = ((value ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return value


def unmarked(data: bytes) -> bytes:
    line_length = len(MARKER) + 16 + 1
    if data.startswith(MARKER) and data[line_length - 1 : line_length] == b"\n":
        return data[line_length:]
    return data


for path in sys.argv[1:]:
    with open(path, "rb") as f:
        body = unmarked(f.read())
    with open(path, "wb") as f:
        f.write(MARKER + b"%016x\n" % fnv1a(body) + body)
