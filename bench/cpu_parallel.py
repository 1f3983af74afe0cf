#!/usr/bin/env python3
"""Training-step time of one model under several parallel layouts on this machine's CPU cores.

The same model (examples/tiny-gpt.yaml with the vocabulary padded to 50688, so every layout
trains the same model) is trained for a few steps on random tokens with `strata-run train
--tokens`; each layout uses every core once (1 rank x N threads, or N ranks x 1 thread). The
ratio to the single-rank time shows what partitioning costs or gains here: on a 2-core machine
tensor parallelism only splits the GEMMs the single rank already runs on both cores, so this
measures the partitioned program's overhead (collectives through shared memory, smaller
GEMMs), not a speed-up across machines. Pipeline parallelism splits the layers instead: each
rank runs half the layers on one core, and the 1F1B bubble is its cost (compared with one rank at
the same micro-batch size; the saved values wait in the arena's stash slots, never copied).

Usage: bench/cpu_parallel.py [--build build] [--steps 6] [--cores 2]
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=str(REPO / "build"))
    p.add_argument("--steps", type=int, default=6)
    p.add_argument("--cores", type=int, default=2)
    args = p.parse_args()
    compile_ = Path(args.build) / "bin" / "strata-compile"
    run = Path(args.build) / "bin" / "strata-run"
    mpirun = shutil.which("mpirun")
    work = Path(tempfile.mkdtemp(prefix="strata-bench-parallel-"))
    n = args.cores
    layouts = [("1 rank", 1, []), (f"tp {n}", n, [f"--tp={n}"]),
               (f"tp {n} sp", n, [f"--tp={n}", "--sp"]),
               (f"dp {n}", n, [f"model.micro_batch_size={8 // n}"]),
               # 1F1B over 8 micro-batches of 1 (bubble (pp - 1) / (m + pp - 1)),
               # against one rank running the same micro-batches.
               ("1 rank mb 1", 1, ["model.micro_batch_size=1"]),
               (f"pp {n} mb 1", n, [f"--pp={n}", "model.micro_batch_size=1"])]
    rows = []
    try:
        tokens = work / "tokens.npy"
        batch, seq = 8, 128
        np.save(tokens, np.random.default_rng(0).integers(
            0, 50257, size=(batch * args.steps, seq + 1)).astype(np.int32))
        for name, ranks, flags in layouts:
            artifact = work / f"{name.replace(' ', '')}.strata"
            subprocess.run([compile_, REPO / "examples" / "tiny-gpt.yaml", *flags,
                            "model.padded_vocab_size=50688", f"trainer.devices={ranks}",
                            "-o", artifact], check=True)
            threads = n // ranks
            cmd = [run, "train", artifact, "--tokens", tokens, "--steps", str(args.steps),
                   "--save", work / "out.safetensors", "--threads", str(threads)]
            if ranks > 1:
                cmd = [mpirun, "--allow-run-as-root", "--oversubscribe", "--mca", "pml", "ob1",
                       "--mca", "btl", "self,vader", "--bind-to", "none", "-np", str(ranks)] + cmd
            out = subprocess.run([str(c) for c in cmd], check=True, capture_output=True,
                                 text=True, env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
            times = [float(t) for t in re.findall(r"\(([0-9.]+) s\)", out.stdout)]
            step = statistics.median(times[1:])  # the first step warms up
            rows.append((name, ranks, threads, step))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base = rows[0][3]
    print(f"{'layout':<12} {'ranks':>5} {'threads':>7} {'s/step':>8} {'vs 1 rank':>10}")
    for name, ranks, threads, step in rows:
        if name == "1 rank mb 1":
            base = step
        print(f"{name:<12} {ranks:>5} {threads:>7} {step:>8.3f} {base / step:>9.2f}x")


if __name__ == "__main__":
    sys.exit(main())
