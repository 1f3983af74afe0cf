"""Writes the inputs of a Strata-vs-reference comparison for one config.

    python3 tests/reference/make_fixtures.py --config CFG.json --out-dir DIR
        [--seed S] [--token-seed S2] [--batch B] [--seq L] [--steps N] [--std 0.02]

DIR/checkpoint.safetensors  the reference init (float32, Hugging Face names), seed S
DIR/tokens.npy              int32 [steps * batch, seq + 1], uniform in [0, vocab), seed S2 (default S + 1)
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import safetensors_io  # noqa: E402


def make_tokens(vocab, rows, seq, seed):
    return np.random.default_rng(seed).integers(0, vocab, size=(rows, seq + 1), dtype=np.int32)


def make_fixtures(config, out_dir, seed=0, token_seed=None, batch=3, seq=11, steps=5, std=0.02):
    """config: a dict (config.json). Returns (checkpoint path, tokens path)."""
    import models
    cfg = models.make_config(config)
    if cfg.family == "gpt2" and seq > cfg.max_positions:
        raise ValueError(f"seq {seq} exceeds max_positions {cfg.max_positions}")
    os.makedirs(out_dir, exist_ok=True)
    checkpoint = os.path.join(out_dir, "checkpoint.safetensors")
    tokens = os.path.join(out_dir, "tokens.npy")
    safetensors_io.save_file(models.init_params(cfg, seed, std), checkpoint)
    np.save(tokens, make_tokens(cfg.vocab, batch * steps, seq,
                                seed + 1 if token_seed is None else token_seed))
    return checkpoint, tokens


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--config", required=True)
    p.add_argument("--out-dir", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--token-seed", type=int)
    p.add_argument("--batch", type=int, default=3)
    p.add_argument("--seq", type=int, default=11)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--std", type=float, default=0.02)
    a = p.parse_args(argv)
    with open(a.config) as f:
        config = json.load(f)
    for path in make_fixtures(config, a.out_dir, a.seed, a.token_seed, a.batch, a.seq, a.steps, a.std):
        print(path)


if __name__ == "__main__":
    main()
