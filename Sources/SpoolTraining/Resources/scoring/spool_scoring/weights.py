"""Reading a model folder's weights: safetensors, with the safetensors package when it is installed."""
import json
import math
import struct
import sys

import torch

_SAFETENSORS_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
    "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
    "BOOL": torch.bool,
}


def read_safetensors(path):
    """The tensors of a .safetensors file: 8-byte little-endian header length, JSON header, raw buffers."""
    with open(path, "rb") as f:
        raw = bytearray(f.read())
    if len(raw) < 8:
        raise ValueError("%s: not a safetensors file" % path)
    (n,) = struct.unpack("<Q", bytes(raw[:8]))
    if n > len(raw) - 8:
        raise ValueError("%s: not a safetensors file (header length %d)" % (path, n))
    header = json.loads(bytes(raw[8:8 + n]).decode("utf-8"))
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _SAFETENSORS_DTYPES:
            raise ValueError("%s: tensor %r has dtype %s, which this reader does not know"
                             % (path, name, info["dtype"]))
        dtype = _SAFETENSORS_DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        shape = info["shape"]
        if end > start:
            t = torch.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=base + start)
            if sys.byteorder != "little" and t.element_size() > 1:
                raise ValueError("reading safetensors on a big-endian machine needs the safetensors package")
        else:
            t = torch.empty(0, dtype=dtype)
        tensors[name] = t.reshape(shape)
    return tensors


def load_weights(path):
    try:
        from safetensors.torch import load_file
    except ImportError:
        return read_safetensors(path)
    return load_file(path)
