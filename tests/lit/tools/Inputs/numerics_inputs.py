"""Writes the token batches and broken checkpoints of strata_run_numerics.test.

    numerics_inputs.py tokens OUT.npy ROWS WIDTH VOCAB [--bad-token]
    numerics_inputs.py edit IN.safetensors OUT.safetensors (--drop NAME | --add NAME | --reshape NAME)
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "reference"))
import numpy as np  # noqa: E402
import safetensors_io  # noqa: E402


def tokens(out, rows, width, vocab, bad=False):
    t = np.random.default_rng(0).integers(0, int(vocab), size=(int(rows), int(width)))
    if bad:
        t[1, 5] = int(vocab) + 7
    np.save(out, t.astype(np.int32))


def edit(src, out, action, name):
    tensors = safetensors_io.load_file(src)
    if action == "--drop":
        del tensors[name]
    elif action == "--add":
        tensors[name] = np.zeros((3,), np.float32)
    elif action == "--reshape":
        t = tensors[name]
        tensors[name] = np.zeros((t.shape[0] + 1,) + t.shape[1:], t.dtype)
    safetensors_io.save_file(tensors, out)


if __name__ == "__main__":
    if sys.argv[1] == "tokens":
        tokens(*sys.argv[2:6], bad="--bad-token" in sys.argv)
    else:
        edit(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
