#!/usr/bin/env python3
"""Full activation recomputation changes where activations live, not what the step computes.

Each model is compiled as it is and with `activations_checkpoint_granularity=full` in each
layout below; the recomputing artifacts must compute what the plain one computes, from the same
parameters and tokens:
  * `strata-run grad`: the loss and every gradient (dropout off),
  * `strata-run train --tokens`: the loss of each of 3 AdamW steps and the parameters after them
    (dropout off),
  * `strata-run train --data` (tiny-train only; it has the GPT-2 vocabulary the bundled corpus
    needs): the loss of each of 4 steps on data/corpora/moby-dick.txt with dropout ON and the
    parameters of the final checkpoint. The recomputed dropouts keep their stream numbers, so the
    masks are redrawn exactly; a wrong stream shows up here.
Every tensor must be within 1e-6 relative (max |a - b| / max |b|); the script reports how many are
bitwise equal (all of them, when nothing is wrong). Before running, it checks that each
recomputing module really has `tfm.recomputed` ops and a smaller activation peak in
`--report=memory` than the plain one, so the comparison cannot pass by recomputing nothing.

Usage:
  recompute_equivalence.py --strata-compile build/bin/strata-compile \\
      --strata-run build/bin/strata-run [--work-dir DIR] [--threads 2]
"""
import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

MODELS = e2e.REPO / "tests" / "e2e" / "models"
CORPUS = e2e.REPO / "data" / "corpora" / "moby-dick.txt"
TOLERANCE = 1e-6
TOKEN_STEPS = 3
DATA_STEPS = 4


def full(method, layers):
    return ["model.activations_checkpoint_granularity=full",
            f"model.activations_checkpoint_method={method}",
            f"model.activations_checkpoint_num_layers={layers}"]


# (model, vocabulary for random tokens, whether it trains on the corpus, whether recomputation
# lowers its activation peak, layouts to compare)
CASES = [
    # GPT-2 style, 2 layers, dropout 0.1 (hidden and attention). Its activation peak is the
    # logits and their gradient, [2, 24, 50304] each, which recomputation does not change.
    ("tiny-train", 50257, True, False, {"uniform-1": full("uniform", 1),
                                        "uniform-2": full("uniform", 2),
                                        "block-1": full("block", 1)}),
    # Llama style, 3 layers: the positions are a stored input of every group (rotary
    # embeddings), and uniform-2 leaves a shorter last group.
    ("llama-small-odd", 223, False, True, {"uniform-2": full("uniform", 2),
                                           "block-2": full("block", 2)}),
]


def activation_peak(args, model, overrides):
    report = e2e.run([args.strata_compile, model, "--report=memory", *overrides])
    m = re.search(r"^\s*activation\s+(\d+) B", report, re.M)
    if not m:
        raise e2e.E2EError(f"no activation line in the memory report of {model}:\n{report}")
    return int(m.group(1))


def check_rewritten(args, model, name, overrides, plain_peak, peak_drops):
    """The module has recomputed ops, and the plan stores fewer activations (or, where something
    else sets the peak, not more)."""
    ir = e2e.run([args.strata_compile, model, "--compile-to=training", *overrides])
    recomputed = ir.count("tfm.recomputed")
    if recomputed == 0:
        raise e2e.E2EError(f"{model.stem} {name}: no tfm.recomputed op in the training module")
    peak = activation_peak(args, model, overrides)
    if peak > plain_peak or (peak_drops and peak == plain_peak):
        raise e2e.E2EError(f"{model.stem} {name}: activation peak {peak} B is not below the "
                           f"plain module's {plain_peak} B")
    return recomputed, peak


def compare(table, family, what, got, want):
    """Adds one row per quantity: the worst relative difference over the tensors of two
    {name: array} dicts; returns (bitwise equal tensors, tensors)."""
    if set(got) != set(want):
        raise e2e.E2EError(f"{family} {what}: tensors differ: "
                           f"{sorted(set(got) ^ set(want))}")
    worst, where, equal = 0.0, "", 0
    for name in sorted(want):
        a, b = np.asarray(got[name], np.float64), np.asarray(want[name], np.float64)
        if a.shape != b.shape:
            raise e2e.E2EError(f"{family} {what}: {name} has shape {a.shape}, expected {b.shape}")
        if np.array_equal(a, b):
            equal += 1
            continue
        scale = float(np.max(np.abs(b))) or 1.0
        rel = float(np.max(np.abs(a - b))) / scale
        if not np.isfinite(rel) or rel > worst:
            worst, where = rel, name
    table.add(family, what, "max rel", worst, TOLERANCE, where)
    return equal, len(want)


def losses(metrics):
    by_step = {}
    for line in Path(metrics).read_text().splitlines():
        record = json.loads(line)
        if "loss" in record:
            by_step[record["step"]] = record["loss"]
    return by_step


def run_all(args, model, vocab, on_corpus, variant, overrides, work):
    """Runs grad, train --tokens and (on_corpus) train --data on one artifact; returns
    {quantity: {name: array}}."""
    out = work / variant
    out.mkdir(parents=True, exist_ok=True)
    artifact = e2e.compile_artifact(args.strata_compile, model, out / "m.strata", overrides)
    env = e2e.strata_env(args.threads)
    common = ["--threads", str(args.threads), "--seed", "11"]
    results = {}
    e2e.run([args.strata_run, "grad", artifact, "--tokens", work / "grad.npy",
             "--out", out / "grad.safetensors", *common], env=env)
    results["grad (dropout off)"] = e2e.load(out / "grad.safetensors")
    e2e.run([args.strata_run, "train", artifact, "--tokens", work / "train.npy",
             "--steps", TOKEN_STEPS, "--lr", "3e-3", "--save", out / "params.safetensors",
             "--out", out / "losses.safetensors", *common], env=env)
    results[f"train --tokens, {TOKEN_STEPS} steps: losses"] = e2e.load(out / "losses.safetensors")
    results[f"train --tokens, {TOKEN_STEPS} steps: parameters"] = \
        e2e.load(out / "params.safetensors")
    if on_corpus:
        e2e.run([args.strata_run, "train", artifact, "--data", CORPUS, "--steps", DATA_STEPS,
                 "--lr", "2e-3", "--warmup-steps", "1", "--checkpoint-dir", out / "ck",
                 "--cache-dir", work / "cache", *common], env=env)
        step_losses = losses(out / "ck" / "metrics.jsonl")
        if sorted(step_losses) != list(range(1, DATA_STEPS + 1)):
            raise e2e.E2EError(f"{out / 'ck' / 'metrics.jsonl'}: losses of steps "
                               f"{sorted(step_losses)}, expected 1..{DATA_STEPS}")
        results[f"train --data, {DATA_STEPS} steps, dropout on: losses"] = {
            f"step {s}": np.array(v) for s, v in step_losses.items()}
        final = next((out / "ck").glob(f"step-*{DATA_STEPS}")) / "model.safetensors"
        results[f"train --data, {DATA_STEPS} steps, dropout on: parameters"] = e2e.load(final)
    return results


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--strata-compile", default=str(e2e.REPO / "build/bin/strata-compile"))
    p.add_argument("--strata-run", default=str(e2e.REPO / "build/bin/strata-run"))
    p.add_argument("--work-dir", help="keep the files here")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="strata-recompute-"))
    work.mkdir(parents=True, exist_ok=True)
    start = time.time()
    table = e2e.Table(where_header="worst tensor")
    equal = total = 0
    ok = False
    try:
        for name, vocab, on_corpus, peak_drops, layouts in CASES:
            model = MODELS / f"{name}.yaml"
            config = e2e.compile_config(args.strata_compile, model)
            rows = e2e.micro_batches(config) * config["micro_batch_size"]
            seq = config["seq_length"]
            case = work / name
            case.mkdir(exist_ok=True)
            np.save(case / "grad.npy", e2e.make_tokens(vocab, rows, seq, seed=5))
            np.save(case / "train.npy", e2e.make_tokens(vocab, rows * TOKEN_STEPS, seq, seed=6))
            plain_peak = activation_peak(args, model, [])
            want = run_all(args, model, vocab, on_corpus, "plain", [], case)
            for variant, overrides in layouts.items():
                recomputed, peak = check_rewritten(args, model, variant, overrides, plain_peak,
                                                   peak_drops)
                print(f"{name} {variant}: {recomputed} recomputed ops; activation peak "
                      f"{peak} B (plain {plain_peak} B)", flush=True)
                got = run_all(args, model, vocab, on_corpus, variant, overrides, case)
                for what in want:
                    e, n = compare(table, f"{name} {variant}", what, got[what], want[what])
                    equal, total = equal + e, total + n
        table.print()
        print(f"{equal} of {total} tensors bitwise equal; {time.time() - start:.1f} s")
        if table.failures():
            table.print_failures()
            return 1
        ok = True
        return 0
    except e2e.E2EError as e:
        print(f"FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        if ok and not args.work_dir:
            shutil.rmtree(work, ignore_errors=True)
        elif not ok:
            print(f"files kept in {work}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
