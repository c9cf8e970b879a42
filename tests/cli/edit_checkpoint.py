#!/usr/bin/env python3
"""Writes a changed copy of a safetensors checkpoint, to craft bad inputs for tests.

  edit_checkpoint.py IN OUT [--meta KEY=VALUE]... [--drop TENSOR]...
                            [--scalar TENSOR=DTYPE:VALUE]...

--meta sets a metadata field, --drop removes a tensor, --scalar replaces a tensor with a
0-dim one (DTYPE F64, F32 or I64; VALUE may be nan or inf). The data is laid out afresh,
so the result is a well-formed safetensors file whatever was dropped or replaced.
"""
import argparse
import json
import struct

FORMATS = {"F64": "<d", "F32": "<f", "I64": "<q"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--meta", action="append", default=[])
    parser.add_argument("--drop", action="append", default=[])
    parser.add_argument("--scalar", action="append", default=[])
    args = parser.parse_args()

    with open(args.source, "rb") as f:
        blob = f.read()
    (header_size,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + header_size])
    data = blob[8 + header_size :]
    metadata = header.pop("__metadata__", {})
    for item in args.meta:
        key, value = item.split("=", 1)
        metadata[key] = value

    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        tensors[name] = (entry["dtype"], entry["shape"], data[begin:end])
    for name in args.drop:
        del tensors[name]
    for item in args.scalar:
        name, spec = item.split("=", 1)
        dtype, value = spec.split(":", 1)
        number = int(value) if dtype == "I64" else float(value)
        tensors[name] = (dtype, [], struct.pack(FORMATS[dtype], number))

    out_header = {"__metadata__": metadata}
    out_data = b""
    for name in sorted(tensors):
        dtype, shape, raw = tensors[name]
        out_header[name] = {
            "dtype": dtype,
            "shape": shape,
            "data_offsets": [len(out_data), len(out_data) + len(raw)],
        }
        out_data += raw
    encoded = json.dumps(out_header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(args.target, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + out_data)


if __name__ == "__main__":
    main()
