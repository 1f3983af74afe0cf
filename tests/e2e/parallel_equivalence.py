#!/usr/bin/env python3
"""Parallel equivalence: a partitioned run computes what the single-rank run computes.

For each model (tests/e2e/models/tp-gpt.yaml, tp-llama.yaml) and each layout, the artifact is
compiled for that layout and run under `mpirun -np <ranks>`:
  * `strata-run eval`: logits and loss,
  * `strata-run grad`: every gradient (global layout, gathered from the ranks),
  * `strata-run train --tokens`: 5 AdamW steps (clipping on), the parameters saved at the end
    and the losses of each step,
from the same checkpoint and tokens as the single-rank run, and compared with it:
logits, losses and parameters within 1e-5 relative (max |a - b| / max |b| per tensor),
gradients within 1e-5 relative norm.

Everything runs twice, in f32 and in f64. The parameters after training are compared in f64:
AdamW divides each gradient element by its own running RMS, so an element whose gradient is
rounding noise (the key bias's gradient is exactly zero in exact arithmetic: softmax ignores a
shift shared by all keys) moves by about the learning rate in a direction set by the noise, in
any two f32 runs that sum in different orders. In f64 such noise is far below AdamW's epsilon.

Layouts are named like tp2dp2 (tensor parallel 2 x data parallel 2; 4 ranks) or tp2pp2
(pipeline parallel 2), pp2v2 (the interleaved schedule with 2 model chunks per stage); a trailing
sp adds sequence parallelism, a suffix -full or -selective activation recomputation, a suffix
-dopt the distributed optimizer (AdamW moments split over dp; model.optim.name=
distributed_fused_adam). Layouts with
pipeline parallelism run a deeper variant of the models (4 layers, 4 micro-batches of 2 per step,
so 1F1B has a steady state), compared with the single-rank run of that same variant.
`--layouts` picks a subset; CI runs a representative subset (ctest e2e.parallel-equivalence),
scripts/parallel-matrix.sh runs them all.

Usage:
  parallel_equivalence.py --strata-compile build/bin/strata-compile \\
      --strata-run build/bin/strata-run [--layouts tp2,tp4] [--models tp-gpt] [-v]
"""
import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import e2e_common as e2e  # noqa: E402

MODELS = e2e.REPO / "tests" / "e2e" / "models"
STEPS = 5
TOLERANCE = 1e-5
# Clipping at a norm the gradients exceed, so the partitioned gradient norm matters.
TRAIN_ARGS = ["--lr", "3e-3", "--weight-decay", "0.1", "--clip-grad", "0.5"]
ALL_LAYOUTS = ["tp2", "tp4", "dp2", "tp2dp2", "tp4dp2", "tp2sp", "tp4sp", "tp2dp2sp",
               "tp2-full", "tp2sp-full", "tp4dp2-selective",
               "pp2", "pp4", "tp2pp2", "tp4pp2", "pp2dp2", "tp2pp2dp2", "tp2pp4", "pp4dp2",
               "tp2pp2sp",
               "pp2-full", "tp2pp2-selective", "pp2v2", "tp2pp2v2",
               "dp2-dopt", "tp2dp2-dopt", "tp4dp2-dopt", "tp2dp2sp-dopt", "pp2dp2-dopt",
               "tp2pp2dp2-dopt", "pp2v2dp2-dopt"]
# The pipeline layouts' model variant: enough layers for pp 4 (and pp 2 x 2 chunks), enough
# micro-batches for a 1F1B steady state.
DEEP = ["model.num_layers=4", "model.global_batch_size=8"]


def parse_layout(name):
    """'tp2dp2sp-full-dopt' -> {'tp': 2, 'pp': 1, 'dp': 2, 'v': 1, 'sp': True,
    'recompute': 'full', 'dopt': True}."""
    sizes = {"tp": 1, "pp": 1, "dp": 1, "v": 1, "sp": False, "recompute": None, "dopt": False}
    rest, *suffixes = name.split("-")
    for suffix in suffixes:
        if suffix in ("full", "selective"):
            sizes["recompute"] = suffix
        elif suffix == "dopt":
            sizes["dopt"] = True
        else:
            raise e2e.E2EError(f"unknown suffix -{suffix} in layout {name!r}")
    if rest.endswith("sp"):
        sizes["sp"], rest = True, rest[:-2]
    while rest:
        for axis in ("tp", "pp", "dp", "v"):
            if rest.startswith(axis):
                digits = ""
                rest = rest[len(axis):]
                while rest and rest[0].isdigit():
                    digits, rest = digits + rest[0], rest[1:]
                sizes[axis] = int(digits)
                break
        else:
            raise e2e.E2EError(f"unknown layout {name!r} (expected e.g. tp2)")
    return sizes


def overrides(sizes):
    ranks = sizes["tp"] * sizes["pp"] * sizes["dp"]
    extra = []
    if sizes["recompute"] == "full":  # every layer's input stored, the layer recomputed
        extra = ["model.activations_checkpoint_granularity=full",
                 "model.activations_checkpoint_method=uniform",
                 "model.activations_checkpoint_num_layers=1"]
    elif sizes["recompute"] == "selective":
        extra = ["model.activations_checkpoint_granularity=selective"]
    if sizes["dopt"]:  # NeMo's name of Megatron's distributed optimizer
        extra = extra + ["model.optim.name=distributed_fused_adam"]
    return [f"model.tensor_model_parallel_size={sizes['tp']}",
            f"model.pipeline_model_parallel_size={sizes['pp']}",
            f"model.virtual_pipeline_model_parallel_size={sizes['v']}",
            f"model.sequence_parallel={'true' if sizes['sp'] else 'false'}",
            f"trainer.devices={ranks}"] + extra


def model_file(model):
    return MODELS / f"{model.split(':')[0]}.yaml"


def variant_overrides(model):
    return DEEP if model.endswith(":deep") else []


def max_rel(a, b):
    scale = float(np.max(np.abs(b))) or 1.0
    return float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) / scale


def rel_norm(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


class Runner:
    def __init__(self, args, work):
        self.args, self.work = args, Path(work)
        self.env = e2e.strata_env(1)

    def run(self, ranks, cmd):
        if ranks == 1:
            return e2e.run(cmd, env=self.env)
        mpirun = [self.args.mpirun, "--allow-run-as-root", "--oversubscribe",
                  "--mca", "pml", "ob1", "--mca", "btl", "self,vader", "-np", str(ranks)]
        return e2e.run(mpirun + [str(c) for c in cmd], env=self.env)

    def outputs(self, model, layout, sizes, precision):
        """Runs eval, grad and train for one model (a name, or name:deep for the pipeline
        variant), layout and precision; returns the outputs."""
        tag = f"{model.replace(':', '-')}-{layout}-f{precision}"
        artifact = self.work / f"{tag}.strata"
        e2e.compile_artifact(self.args.strata_compile, model_file(model), artifact,
                             overrides(sizes) + [f"model.precision={precision}"] +
                             variant_overrides(model))
        ranks = sizes["tp"] * sizes["pp"] * sizes["dp"]
        sr = [self.args.strata_run]
        common = ["--checkpoint", self.checkpoint(model), "--threads", "1"]
        files = {k: self.work / f"{tag}-{k}.safetensors"
                 for k in ("eval", "grad", "params", "losses")}
        self.run(ranks, sr + ["eval", artifact, *common, "--tokens", self.tokens[model],
                              "--out", files["eval"]])
        self.run(ranks, sr + ["grad", artifact, *common, "--tokens", self.tokens[model],
                              "--out", files["grad"]])
        self.run(ranks, sr + ["train", artifact, *common, "--tokens",
                              self.train_tokens[model], "--steps", str(STEPS), *TRAIN_ARGS,
                              "--save", files["params"], "--out", files["losses"]])
        return {k: e2e.load(v) for k, v in files.items()}

    def checkpoint(self, model):
        return self.checkpoints[model]

    def prepare(self, model):
        """A random checkpoint (norm weights and biases too) and token batches."""
        name = model.replace(":", "-")
        single = self.work / f"{name}-init.strata"
        e2e.compile_artifact(self.args.strata_compile, model_file(model), single,
                             variant_overrides(model))
        init = self.work / f"{name}-init.safetensors"
        tokens = self.work / f"{name}-tokens.npy"
        config = e2e.compile_config(self.args.strata_compile, model_file(model),
                                    variant_overrides(model))
        vocab, seq = config["padded_vocab_size"], config["seq_length"]
        batch = config["global_batch_size"]
        np.save(tokens, e2e.make_tokens(vocab, batch, seq, seed=1))
        train_tokens = self.work / f"{name}-train-tokens.npy"
        np.save(train_tokens, e2e.make_tokens(vocab, batch * STEPS, seq, seed=2))
        # A checkpoint: one training step from the seeded initialization moves norms and
        # biases off their 1/0 initial values.
        one_step = self.work / f"{name}-one-step-tokens.npy"
        np.save(one_step, e2e.make_tokens(vocab, batch, seq, seed=3))
        e2e.run([self.args.strata_run, "train", single, "--tokens", one_step, "--steps", "1",
                 "--lr", "5e-2", "--save", init, "--seed", "7"], env=self.env)
        self.checkpoints[model] = init
        self.tokens[model] = tokens
        self.train_tokens[model] = train_tokens

    checkpoints, tokens, train_tokens = {}, {}, {}


def compare(model, layout, got, want, verbose, precision):
    errors = []

    def check(what, value, limit=TOLERANCE):
        if verbose or value > limit:
            print(f"    {model} {layout} f{precision} {what}: {value:.2e}")
        if not value <= limit:
            errors.append(f"{model} {layout} f{precision}: {what} differs by {value:.2e} "
                          f"(limit {limit:.0e})")

    check("logits max-rel", max_rel(got["eval"]["logits"], want["eval"]["logits"]))
    check("eval loss rel", max_rel(got["eval"]["loss"], want["eval"]["loss"]))
    check("grad loss rel", max_rel(got["grad"]["loss"], want["grad"]["loss"]))
    worst = max((rel_norm(got["grad"][k], want["grad"][k]), k) for k in want["grad"]
                if k != "loss")
    check(f"worst gradient rel-norm ({worst[1]})", worst[0])
    check("train losses max-rel", max_rel(got["losses"]["loss"], want["losses"]["loss"]))
    if set(got["params"]) != set(want["params"]):
        errors.append(f"{model} {layout}: saved parameters differ in names")
    elif precision == 64:
        worst = max((max_rel(got["params"][k], want["params"][k]), k) for k in want["params"])
        check(f"parameters after {STEPS} steps max-rel ({worst[1]})", worst[0])
    return errors


def variants(model, layouts):
    """(model variant, its layouts): the pipeline layouts run the deep variant."""
    flat = [n for n in layouts if parse_layout(n)["pp"] == 1]
    deep = [n for n in layouts if parse_layout(n)["pp"] > 1]
    return [(m, chosen) for m, chosen in ((model, flat), (model + ":deep", deep)) if chosen]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--strata-compile", required=True)
    p.add_argument("--strata-run", required=True)
    p.add_argument("--mpirun", default=shutil.which("mpirun") or "mpirun")
    p.add_argument("--layouts", default=",".join(ALL_LAYOUTS))
    p.add_argument("--models", default="tp-gpt,tp-llama")
    p.add_argument("--keep", help="keep the work files in this directory")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if not shutil.which(args.mpirun):
        print(f"skipped: no {args.mpirun}")
        return e2e.SKIP
    layouts = [name for name in args.layouts.split(",") if name]
    work = args.keep or tempfile.mkdtemp(prefix="strata-parallel-")
    os.makedirs(work, exist_ok=True)
    errors = []
    try:
        runner = Runner(args, work)
        for base in args.models.split(","):
            for model, chosen in variants(base, layouts):
                runner.prepare(model)
                for precision in (32, 64):
                    want = runner.outputs(model, "single", parse_layout("tp1"), precision)
                    for layout in chosen:
                        print(f"{model} {layout} f{precision}: ", end="", flush=True)
                        got = runner.outputs(model, layout, parse_layout(layout), precision)
                        found = compare(model, layout, got, want, args.verbose, precision)
                        print("ok" if not found else "MISMATCH")
                        errors += found
    except e2e.E2EError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    for error in errors:
        print(f"FAIL: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
