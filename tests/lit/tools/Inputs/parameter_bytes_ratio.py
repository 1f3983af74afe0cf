"""Prints the ratio of the `parameter` bytes of two --report=memory outputs (second / first) and
fails when it exceeds the bound: the saving of weight quantization, asserted.

    parameter_bytes_ratio.py BASELINE.txt QUANTIZED.txt BOUND
"""
import re
import sys


def parameter_bytes(path):
    m = re.search(r"^\s*parameter\s+(\d+) B", open(path).read(), re.M)
    if not m:
        sys.exit(f"{path}: no parameter line")
    return int(m.group(1))


base, quantized, bound = parameter_bytes(sys.argv[1]), parameter_bytes(sys.argv[2]), float(sys.argv[3])
ratio = quantized / base
print(f"parameter bytes {quantized} / {base} = {ratio:.4f}")
if ratio > bound:
    sys.exit(f"ratio {ratio:.4f} exceeds {bound}")
