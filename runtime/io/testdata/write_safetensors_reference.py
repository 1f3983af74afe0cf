# Part of Strata. SPDX-License-Identifier: Apache-2.0
#
# Writes OUTDIR/reference.safetensors with the pure-Python reference writer; the C++
# test recomputes the same values and checks reader and writer against it.
# Values: v(i) = i * 0.37 - 3 computed in float64, then cast.
import os
import sys

import numpy as np
import torch

import st_writer


def values(count):
    return np.arange(count, dtype=np.float64) * 0.37 - 3.0


out = os.path.join(sys.argv[1], "reference.safetensors")
tensors = {
    "a.f32": torch.from_numpy(values(6).astype(np.float32).reshape(2, 3)),
    "b.bf16": torch.from_numpy(values(5).astype(np.float32)).to(
        torch.bfloat16),
    "c.i64": torch.from_numpy(np.arange(4, dtype=np.int64) * 1000003 - 7),
    "d.f16": torch.from_numpy(values(3).astype(np.float16).reshape(3, 1)),
    "e.f64": torch.from_numpy(values(4).reshape(2, 2)),
    "f.i32": torch.from_numpy(np.arange(3, dtype=np.int32) * -5),
    "z.empty": torch.zeros((0, 4), dtype=torch.float32),
    "s.scalar": torch.tensor(2.5, dtype=torch.float64),
}
metadata = {"format": "pt", "note": "caf\u00e9 \"quoted\" back\\slash"}
st_writer.save(tensors, out, metadata)
