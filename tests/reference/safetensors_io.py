"""A small numpy-only reader and writer of the safetensors format, and .npy token files.

The format (https://github.com/huggingface/safetensors, "Format"):

    8 bytes   N, the header size, an unsigned little-endian 64-bit integer
    N bytes   a UTF-8 JSON object: name -> {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}
              and optionally "__metadata__": {str: str}
    rest      the byte buffer; offsets are relative to its start; data little-endian, C order

The buffer must be covered exactly (no holes, no overlaps). BF16 is read as float32 (its bits
are the upper half of a float32); it is not written.
"""

import json
import struct

import numpy as np

# safetensors dtype name -> numpy dtype (little-endian).
_NUMPY_DTYPE = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_ITEMSIZE = {name: dt.itemsize for name, dt in _NUMPY_DTYPE.items()}
_ITEMSIZE["BF16"] = 2
# numpy dtype -> safetensors dtype name, for writing.
_SAFETENSORS_DTYPE = {dt.newbyteorder("<"): name for name, dt in _NUMPY_DTYPE.items()}


def load_with_metadata(path):
    """Returns ({name: np.ndarray}, {str: str} metadata) from a safetensors file."""
    with open(path, "rb") as f:
        blob = f.read()
    return loads_with_metadata(blob)


def load_file(path):
    """Returns {name: np.ndarray} from a safetensors file (BF16 becomes float32)."""
    return load_with_metadata(path)[0]


def loads_with_metadata(blob):
    if len(blob) < 8:
        raise ValueError("safetensors: file shorter than its 8-byte header size")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"safetensors: header size {n} exceeds the file ({len(blob)} bytes)")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("safetensors: header is not a JSON object")
    buf = memoryview(blob)[8 + n:]
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("safetensors: __metadata__ must map strings to strings")

    tensors, spans = {}, []
    for name, info in header.items():
        try:
            dtype, shape, (begin, end) = info["dtype"], list(info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"safetensors: tensor '{name}': malformed entry {info!r}")
        if dtype not in _ITEMSIZE:
            raise ValueError(f"safetensors: tensor '{name}': unsupported dtype {dtype}")
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            raise ValueError(f"safetensors: tensor '{name}': bad shape {shape}")
        count = int(np.prod(shape, dtype=np.int64))
        if not (0 <= begin <= end <= len(buf)) or end - begin != count * _ITEMSIZE[dtype]:
            raise ValueError(f"safetensors: tensor '{name}': data_offsets [{begin}, {end}] do not "
                             f"fit {dtype}{shape} in a {len(buf)}-byte buffer")
        raw = buf[begin:end]
        if dtype == "BF16":
            bits = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(raw, dtype=_NUMPY_DTYPE[dtype]).copy()
        tensors[name] = array.reshape(shape)
        spans.append((begin, end, name))

    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            what = "overlaps the previous tensor" if begin < position else "leaves a hole before it"
            raise ValueError(f"safetensors: tensor '{name}' {what} (offset {begin}, expected {position})")
        position = end
    if position != len(buf):
        raise ValueError(f"safetensors: {len(buf) - position} bytes after the last tensor")
    return tensors, metadata


def dumps(tensors, metadata=None):
    """Serializes {name: array-like} (numpy or anything np.asarray accepts) to bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        array = np.asarray(tensors[name])
        dtype = array.dtype.newbyteorder("<")
        if dtype not in _SAFETENSORS_DTYPE:
            raise ValueError(f"safetensors: tensor '{name}': cannot write dtype {array.dtype}")
        data = np.ascontiguousarray(array, dtype=dtype).tobytes()
        header[name] = {"dtype": _SAFETENSORS_DTYPE[dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)  # keep the buffer 8-byte aligned, as the reference writer does
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


def save_file(tensors, path, metadata=None):
    with open(path, "wb") as f:
        f.write(dumps(tensors, metadata))


def load_tokens(path):
    """Reads an integer .npy token file of shape [rows, seq + 1] as int64."""
    tokens = np.load(path, allow_pickle=False)
    if tokens.ndim != 2 or tokens.dtype.kind not in "iu" or tokens.shape[1] < 2:
        raise ValueError(f"{path}: expected an integer array [rows, seq + 1], got "
                         f"{tokens.dtype}{list(tokens.shape)}")
    return tokens.astype(np.int64)


def load_int_matrix(path):
    """Reads an integer .npy [rows, seq] (labels, positions, virtual tokens; tokens given with
    labels) as int64."""
    array = np.load(path, allow_pickle=False)
    if array.ndim != 2 or array.dtype.kind not in "iu" or 0 in array.shape:
        raise ValueError(f"{path}: expected a non-empty integer array [rows, seq], got "
                         f"{array.dtype}{list(array.shape)}")
    return array.astype(np.int64)
