#!/usr/bin/env python3
"""Strata's compile-time activation memory against the analytic formula of Korthikanti et al.

"Reducing Activation Recomputation in Large Transformer Models" (2022), Table 2, gives the
activation bytes one transformer layer stores for the backward pass, with 2-byte activations and
1-byte dropout masks (s sequence, b micro-batch, h hidden, a heads, t tensor-parallel size):

    tensor parallel, selective recomputation              sbh (10 + 24/t)
    tensor + sequence parallel, selective recomputation   sbh (34/t)

Strata's attention is fused (it never stores the [s x s] scores: selective recomputation is
inherent) and it regenerates dropout masks from their Philox streams instead of storing them,
which removes the masks' 2 sbh (2 sbh/t under sequence parallelism) from the formula. This script
compiles GPT-3 175B (examples/gpt3-175b.yaml: 96 layers, h 12288, 96 heads, s 2048, b 1, bf16) at
tensor parallel 8 and prints the static memory plan's activation peak per rank next to L x the
formula, with and without the masks, first at pipeline parallel 1 (all the layers of one
micro-batch), then at pipeline parallel 16 (the full 128-rank layout): there the first stage holds
its L/p layers' saved values for the p micro-batches in flight under 1F1B, L layers' worth in all,
in its arena's stash (`pipeline_stash`, one slot per micro-batch in flight, counted from the
runtime's schedule) beside the plan's transient peak of one forward or backward step.

Usage: bench/activation_memory.py [--build build]
"""
import argparse
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def activation_peak(strata_compile, overrides):
    out = subprocess.run([strata_compile, REPO / "examples" / "gpt3-175b.yaml", "--report=memory",
                          *overrides], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"activation\s+(\d+) B", out).group(1))


def first_stage_activations(strata_compile, overrides):
    """Stage 0's stash of saved values + its transient activation peak (--report=memory)."""
    out = subprocess.run([strata_compile, REPO / "examples" / "gpt3-175b.yaml", "--report=memory",
                          *overrides], check=True, capture_output=True, text=True).stdout
    total = int(re.search(r"activation total\s+(\d+) B", out).group(1))
    stash = int(re.search(r"pipeline_stash\s+(\d+) B", out).group(1))
    return total, stash


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--build", default=str(REPO / "build"))
    args = p.parse_args()
    compile_ = Path(args.build) / "bin" / "strata-compile"
    s, b, h, layers, t = 2048, 1, 12288, 96, 8
    sbh = s * b * h
    rows = [("tensor parallel 8", "false", 10 + 24 / t, 8 + 24 / t),
            ("tensor + sequence parallel 8", "true", 34 / t, 32 / t)]
    print(f"{'layout':<30} {'Strata plan':>12} {'formula':>12} {'ratio':>7} "
          f"{'formula - masks':>16} {'ratio':>7}")
    for name, sp, per_layer, per_layer_no_masks in rows:
        got = activation_peak(compile_, ["--tp", "8", "--pp", "1", "trainer.devices=8",
                                         f"model.sequence_parallel={sp}"])
        formula = layers * sbh * per_layer
        no_masks = layers * sbh * per_layer_no_masks
        print(f"{name:<30} {got / MIB:>9.0f} MiB {formula / MIB:>8.0f} MiB {got / formula:>7.3f} "
              f"{no_masks / MIB:>12.0f} MiB {got / no_masks:>7.3f}")
    print("\npipeline parallel 16 (tp 8 x pp 16 = 128 ranks), first stage: the stash of saved "
          "values + step peak")
    for name, sp, per_layer, per_layer_no_masks in rows:
        got, stash = first_stage_activations(
            compile_, ["--tp", "8", "--pp", "16", "trainer.devices=128",
                       f"model.sequence_parallel={sp}"])
        formula = layers * sbh * per_layer
        no_masks = layers * sbh * per_layer_no_masks
        print(f"{name + ' pp 16':<30} {got / MIB:>9.0f} MiB {formula / MIB:>8.0f} MiB "
              f"{got / formula:>7.3f} {no_masks / MIB:>12.0f} MiB {got / no_masks:>7.3f}"
              f"   (stash {stash / MIB:.0f} MiB)")


if __name__ == "__main__":
    sys.exit(main())
