#!/usr/bin/env python3
"""Where the tuner ranks the layouts of Narayanan et al. 2021, Table 1.

For each row of the table (GPT shapes 1.7B to 1T, their GPU counts and
batches) this runs `strata-tune` over the paper's settings (micro-batch 1, no
interleaving, full recomputation, no distributed optimizer; tp, pp and
sequence parallelism searched, memory planned for cuda) on the dgx-a100-80gb
preset, then prints a markdown table: the published layout's rank among the
feasible candidates (as Megatron-LM 2021 ran it: no sequence parallelism,
and with it), the tuner's best, and TFLOP/s per GPU as the paper counts them
(eq. 3 over the predicted step).

usage: bench/tuner_published_ranks.py [BUILD_DIR]   (default: build)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEQ, VOCAB = 2048, 51200

# name, heads, hidden, layers, tp, pp, gpus, batch, published TFLOP/s
ROWS = [
    ("1.7B", 24, 2304, 24, 1, 1, 32, 512, 137),
    ("3.6B", 32, 3072, 30, 2, 1, 64, 512, 138),
    ("7.5B", 32, 4096, 36, 4, 1, 128, 512, 142),
    ("18.4B", 48, 6144, 40, 8, 1, 256, 1024, 135),
    ("39.1B", 64, 8192, 48, 8, 2, 512, 1536, 138),
    ("76.1B", 80, 10240, 60, 8, 4, 1024, 1792, 140),
    ("145.6B", 96, 12288, 80, 8, 8, 1536, 2304, 148),
    ("310.1B", 128, 16384, 96, 8, 16, 1920, 2160, 155),
    ("529.6B", 128, 20480, 105, 8, 35, 2520, 2520, 163),
    ("1008B", 160, 25600, 128, 8, 64, 3072, 3072, 163),
]


def paper_flops(batch, layers, hidden):
    """Eq. 3 of the paper: the whole forward pass recomputed."""
    return 96 * batch * SEQ * layers * hidden**2 * (
        1 + SEQ / (6 * hidden) + VOCAB / (16 * layers * hidden))


def top_tenth(rank, count):
    """In the top 10%: among the best ceil(count / 10) (the best one when
    there are fewer than 10 candidates)."""
    return rank <= -(-count // 10)


def label(c):
    sp = " sp" if c["sequence_parallel"] else ""
    return f"tp {c['tp']} pp {c['pp']} dp {c['dp']}{sp}"


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
    tune = os.path.join(build, "bin", "strata-tune")
    model = os.path.join(ROOT, "tests", "tuner", "narayanan2021-gpt.yaml")
    print("| row | feasible without sp | published: rank, percentile | "
          "best without sp | feasible | published (no sp): rank, percentile | "
          "published with sp: rank | tuner's best | TFLOP/s best / published"
          " (paper's count) | search s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, heads, hidden, layers, tp, pp, gpus, batch, _ in ROWS:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.json")
            cmd = [tune, model,
                   f"model.num_attention_heads={heads}",
                   f"model.hidden_size={hidden}",
                   f"model.ffn_hidden_size={4 * hidden}",
                   f"model.num_layers={layers}",
                   "model.pipeline_model_parallel_size=1",
                   "model.tensor_model_parallel_size=1",
                   "--cluster", "dgx-a100-80gb", "--nodes", str(gpus // 8),
                   "--global-batch", str(batch),
                   "--max-micro-batch-size", "1", "--max-virtual-stages", "1",
                   "--recompute", "full", "--distributed-optimizer", "off",
                   "--json", out]
            start = time.time()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            seconds = time.time() - start
            with open(out) as f:
                data = json.load(f)
        cands = data["candidates"] if isinstance(data, dict) else data
        feasible = [c for c in cands if c["feasible"]]
        # Megatron-LM 2021 had no sequence parallelism (2022).
        feasible_2021 = [c for c in feasible if not c["sequence_parallel"]]
        r_2021 = next(i + 1 for i, c in enumerate(feasible_2021)
                      if c["tp"] == tp and c["pp"] == pp)
        best_2021 = feasible_2021[0]
        flops = paper_flops(batch, layers, hidden) / gpus

        def tflops(c):
            return flops / c["step_time_s"] / 1e12

        def rank_of(sp):
            for i, c in enumerate(feasible):
                if c["tp"] == tp and c["pp"] == pp and \
                        c["sequence_parallel"] == sp:
                    return i + 1, c
            return None, None

        r_plain, plain = rank_of(False)
        r_sp, _ = rank_of(True) if tp > 1 else (None, None)
        best = feasible[0]
        def mark(rank, count):
            return " (top 10%)" if top_tenth(rank, count) else ""

        plain_text = (f"{r_plain}, {100 * r_plain / len(feasible):.0f}%"
                      f"{mark(r_plain, len(feasible))}"
                      if plain else "infeasible")
        print(f"| {name} | {len(feasible_2021)} | {r_2021}, "
              f"{100 * r_2021 / len(feasible_2021):.0f}%"
              f"{mark(r_2021, len(feasible_2021))} | "
              f"{label(best_2021)} | {len(feasible)} | {plain_text} | "
              f"{r_sp if r_sp else '-'} | {label(best)} | "
              f"{tflops(best):.1f} / "
              f"{tflops(plain) if plain else float('nan'):.1f} | "
              f"{seconds:.0f} |")


if __name__ == "__main__":
    main()
