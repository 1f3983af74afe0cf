# Part of Strata. SPDX-License-Identifier: Apache-2.0
#
# Loads the .npy files the C++ writer produced (cxx_*.npy in argv[1]) with
# numpy and checks dtype, shape and values; exits 1 with a message if not.
import os
import sys

import numpy as np

d = sys.argv[1]


def values(count):
    return np.arange(count, dtype=np.float64) * 0.37 - 3.0


expected = {
    "cxx_f32.npy": values(24).astype(np.float32).reshape(2, 3, 4),
    "cxx_f64.npy": values(10),
    "cxx_f16.npy": values(6).astype(np.float16).reshape(2, 3),
    "cxx_i32.npy": (np.arange(36, dtype=np.int32) * 7 - 50).reshape(4, 9),
    "cxx_i64.npy": ((np.arange(12, dtype=np.int64) - 5) * 10**12).reshape(
        3, 4),
    "cxx_scalar.npy": np.array(2.5, dtype=np.float32),
    "cxx_empty.npy": np.zeros((0, 5), dtype=np.float32),
}
for name, want in expected.items():
    got = np.load(os.path.join(d, name), allow_pickle=False)
    if got.dtype != want.dtype or got.shape != want.shape:
        sys.exit("%s: got %s %s, want %s %s" % (name, got.dtype, got.shape,
                                                want.dtype, want.shape))
    if got.tobytes() != want.tobytes():
        sys.exit("%s: values differ" % name)
print("ok", len(expected))
