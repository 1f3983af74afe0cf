# Part of Strata. SPDX-License-Identifier: Apache-2.0
#
# Writes .npy files with numpy itself (good ones, and every kind the C++
# reader must refuse). Values: v(i) = i * 0.37 - 3 in float64, then cast.
import os
import sys

import numpy as np

out = sys.argv[1]


def values(count):
    return np.arange(count, dtype=np.float64) * 0.37 - 3.0


def save(name, array, **kwargs):
    np.save(os.path.join(out, name), array, **kwargs)


def save_version(name, array, version):
    with open(os.path.join(out, name), "wb") as f:
        np.lib.format.write_array(f, array, version=version)


f32 = values(24).astype(np.float32).reshape(2, 3, 4)
save("f32.npy", f32)
save("f64.npy", values(10))
save("f16.npy", values(6).astype(np.float16).reshape(2, 3))
save("i32.npy", (np.arange(36, dtype=np.int32) * 7 - 50).reshape(4, 9))
save("i64.npy", ((np.arange(12, dtype=np.int64) - 5) * 10**12).reshape(3, 4))
save("scalar.npy", np.array(2.5, dtype=np.float32))
save("empty.npy", np.zeros((0, 5), dtype=np.float32))
save("wide.npy", np.zeros((123456789012, 0), dtype=np.int64))
save_version("v2.npy", f32, (2, 0))
save_version("v3.npy", f32, (3, 0))
rng = np.random.RandomState(1234)
save("tokens_i32.npy", rng.randint(0, 50257, size=(2, 9)).astype(np.int32))
save("tokens_i64.npy", rng.randint(0, 50257, size=(3, 5)).astype(np.int64))

# Refused.
save("fortran.npy", np.asfortranarray(values(6).astype(np.float32)
                                       .reshape(2, 3)))
save("fortran_1d.npy", np.asfortranarray(values(3).astype(np.float32)))
save("bigendian.npy", f32.astype(">f4"))
save("object.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
save("structured.npy", np.zeros(3, dtype=[("a", "<i4"), ("b", "<f4")]))
save("bool.npy", np.array([True, False]))
save("uint8.npy", np.arange(4, dtype=np.uint8))
save("complex.npy", np.zeros(2, dtype=np.complex64))
