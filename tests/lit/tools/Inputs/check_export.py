"""check_export.py F32 BF16 MODEL: the exports of a bf16 O2 checkpoint agree with it.

F32 and BF16 are `strata-run export` files (--dtype f32, bf16) of a checkpoint whose
model.safetensors is MODEL (bf16 parameters). The bf16 export equals MODEL bit for bit; the f32
export rounded to bf16 (nearest even) equals MODEL too, and carries bits bf16 cannot hold (it is
the f32 main parameters, not the bf16 parameters widened). The exports hold the tokenizer's
VOCAB rows of the vocabulary tensors, MODEL the padded rows too: only those rows are compared.
Prints "exports agree" or exits 1.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "reference"))
import numpy as np  # noqa: E402
import safetensors_io  # noqa: E402


def bf16_bits(values):
    """float32 -> bf16 bits (round to nearest even), as uint32 with the low half zero."""
    u = np.ascontiguousarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)


f32, bf16, model = (safetensors_io.load_file(p) for p in sys.argv[1:4])
problems = []
if not (f32.keys() == bf16.keys() == model.keys()):
    problems.append(f"names differ: {sorted(set(f32) ^ set(model))}")
VOCAB = 50257  # GPT-2's tokenizer; tests/e2e/models/tiny-train.yaml pads it to 50304
wider = 0
for name in sorted(model):
    want = np.ascontiguousarray(model[name], dtype=np.float32).view(np.uint32)
    if name in ("wte.weight", "lm_head.weight"):
        if bf16[name].shape[0] != VOCAB or f32[name].shape[0] != VOCAB:
            problems.append(f"{name}: the exports have {bf16[name].shape[0]} and "
                            f"{f32[name].shape[0]} rows, not the vocabulary's {VOCAB}")
            continue
        want = want[:VOCAB]
    if not np.array_equal(np.ascontiguousarray(bf16[name]).view(np.uint32), want):
        problems.append(f"{name}: the bf16 export differs from the checkpoint")
    if f32[name].dtype != np.float32 or not np.array_equal(bf16_bits(f32[name]), want):
        problems.append(f"{name}: the f32 export does not round to the checkpoint")
    wider += int(np.any(f32[name].view(np.uint32) & 0xFFFF))
if wider == 0:
    problems.append("no f32 export tensor has bits beyond bf16: not the main parameters")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"exports agree ({len(model)} tensors, {wider} with bits beyond bf16)")
