#!/usr/bin/python3
"""Benchmark (not a test): batch-1 decode of GPT-2 124M on the CPU, int8 weight-only against f32.

The same greedy generation twice per round, alternating, from the same random checkpoint
(tests/reference init, f32): an inference artifact compiled as is (f32 weights) and one compiled
with `--quantize int8-weight-only` (the linear layers and the tied embedding as int8 with f32
per-output-channel scales, quantized from the checkpoint at load). `strata-run generate --timing`
prints decode tokens/s; the ratio is int8 / f32 for each round, and the summary takes the median
round. Decode at batch 1 reads every weight once per token, so it is bounded by memory
bandwidth: int8 moves about a quarter of the bytes.

    /usr/bin/python3 bench/int8_decode.py [--rounds 3] [--prompt-tokens 32] [--new-tokens 64]
        [--threads 1]
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "reference"))
MODEL = REPO / "examples/gpt2-124m.yaml"
CONFIG = dict(family="gpt2", num_layers=12, hidden=768, heads=12, ffn=3072, vocab=50304,
              max_positions=1024, activation="gelu_new")


def compile_artifact(args, path, extra):
    subprocess.run([args.strata_compile, str(MODEL), "--mode", "infer", "model.micro_batch_size=1",
                    "--prefill-length", str(args.prompt_tokens), *extra, "-o", str(path)],
                   check=True)


def decode_rate(args, artifact, checkpoint, prompt):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    out = subprocess.run([args.strata_run, "generate", str(artifact), "--checkpoint",
                          str(checkpoint), "--prompt", prompt, "--max-new-tokens",
                          str(args.new_tokens), "--temperature", "0", "--timing", "--print-ids",
                          "--threads", str(args.threads)],
                         check=True, capture_output=True, text=True, env=env).stdout
    m = re.search(r"decode ([\d.]+) tokens/s per row", out)
    ids = re.search(r"ids:([\d ]*)\|([\d ]*)", out)
    return float(m.group(1)), [int(t) for t in ids.group(2).split()]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(REPO / "build/bin/strata-compile"))
    p.add_argument("--strata-run", default=str(REPO / "build/bin/strata-run"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--prompt-tokens", type=int, default=32)
    p.add_argument("--new-tokens", type=int, default=64)
    # One thread by default: on a machine whose cores are busy with other work, OpenMP barriers
    # of two threads dominate a decode step (measured: f32 3.5 tok/s at 2 threads, 35 at 1).
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args()
    import models
    import safetensors_io
    corpus = (REPO / "data/corpora/moby-dick.txt").read_text()
    # At most --prompt-tokens tokens (about 3.5 characters a token, English prose).
    prompt = corpus[corpus.index("Call me Ishmael"):][:int(args.prompt_tokens * 3)]
    with tempfile.TemporaryDirectory(prefix="strata-int8-bench-") as tmp:
        work = Path(tmp)
        checkpoint = work / "gpt2-124m.safetensors"
        safetensors_io.save_file(models.init_params(models.make_config(CONFIG), 0),
                                 str(checkpoint))
        f32, int8 = work / "f32.strata", work / "int8.strata"
        compile_artifact(args, f32, [])
        compile_artifact(args, int8, ["--quantize", "int8-weight-only"])
        rounds = []
        for r in range(args.rounds):
            f32_rate, f32_ids = decode_rate(args, f32, checkpoint, prompt)
            int8_rate, int8_ids = decode_rate(args, int8, checkpoint, prompt)
            same = sum(a == b for a, b in zip(f32_ids, int8_ids))
            rounds.append((f32_rate, int8_rate))
            print(f"round {r + 1}: f32 {f32_rate:.1f} tok/s, int8 {int8_rate:.1f} tok/s, "
                  f"ratio {int8_rate / f32_rate:.2f} ({same}/{len(f32_ids)} greedy tokens equal)",
                  flush=True)
    ratios = [i / f for f, i in rounds]
    median = statistics.median(ratios)
    f32_rate, int8_rate = rounds[ratios.index(median)]
    print(f"GPT-2 124M, batch 1, {args.new_tokens} new tokens after a {args.prompt_tokens}-token "
          f"prompt, {args.threads} thread(s): decode f32 {f32_rate:.1f} tok/s, int8 "
          f"{int8_rate:.1f} tok/s, int8/f32 {median:.2f}x (median of {args.rounds} rounds)")


if __name__ == "__main__":
    main()
