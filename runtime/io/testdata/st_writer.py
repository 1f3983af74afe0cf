# Part of Strata. SPDX-License-Identifier: Apache-2.0
#
# A pure-Python safetensors writer that follows the reference implementation
# (huggingface/safetensors, tensor.rs `prepare`): tensors ordered by
# descending dtype (its enum is in increasing alignment order) then name,
# "__metadata__" first, compact JSON, header padded with spaces to a multiple
# of 8. The `safetensors` package is not installed on these machines; the
# format is simple enough to write here independently of the C++ writer.
import json
import struct

# Reference Dtype enum order (increasing alignment).
_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16",
          "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]

_TORCH_DTYPES = {}


def _torch_dtype_name(tensor):
    import torch
    if not _TORCH_DTYPES:
        _TORCH_DTYPES.update({
            torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
            torch.bfloat16: "BF16", torch.int32: "I32", torch.int64: "I64",
            torch.bool: "BOOL", torch.uint8: "U8", torch.int8: "I8",
            torch.int16: "I16"})
    return _TORCH_DTYPES[tensor.dtype]


def tensor_bytes(tensor):
    """Little-endian C-order bytes of a torch tensor (any dtype)."""
    import torch
    t = tensor.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def serialize(tensors, metadata=None):
    """tensors: {name: torch.Tensor} -> bytes of a safetensors file."""
    items = [(name, _torch_dtype_name(t), list(t.shape), tensor_bytes(t))
             for name, t in tensors.items()]
    items.sort(key=lambda item: item[0])
    items.sort(key=lambda item: _ORDER.index(item[1]), reverse=True)
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    offset = 0
    for name, dtype, shape, data in items:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(
        item[3] for item in items)


def save(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(serialize(tensors, metadata))
