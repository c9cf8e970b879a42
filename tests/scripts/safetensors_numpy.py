"""Reads and writes safetensors files with numpy alone, from the format's specification.

  safetensors_numpy.py read FILE    prints {name: {"dtype", "shape", "values"}} as JSON
  safetensors_numpy.py write FILE   writes the tensors test_io.cpp expects
"""
import json
import struct
import sys

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I32": "<i4", "I64": "<i8", "U8": "u1",
          "BOOL": "?"}


def read(path):
    with open(path, "rb") as f:
        blob = f.read()
    (length,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + length])
    data = blob[8 + length:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            out[name] = info
            continue
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=DTYPES[info["dtype"]])
        array = array.reshape(info["shape"])
        out[name] = {"dtype": info["dtype"], "shape": list(array.shape),
                     "values": array.astype(np.float64).ravel().tolist()}
    print(json.dumps(out))


def write(path):
    tensors = {
        "weight": np.arange(6, dtype="<f4").reshape(2, 3) * 0.5 - 1,
        "steps": np.array([-3, 7, 1 << 40], dtype="<i8"),
        "half": np.array([1.5, -2.25], dtype="<f2"),
    }
    header, offset, chunks = {"__metadata__": {"writer": "numpy"}}, 0, []
    for name, array in tensors.items():
        raw = array.tobytes()
        code = {"<f4": "F32", "<i8": "I64", "<f2": "F16"}[array.dtype.str]
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        chunks.append(raw)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


if __name__ == "__main__":
    {"read": read, "write": write}[sys.argv[1]](sys.argv[2])
