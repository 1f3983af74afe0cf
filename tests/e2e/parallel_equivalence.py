#!/usr/bin/env python3
"""Parallel equivalence: a partitioned run computes what the single-rank run computes.

For each model (tests/e2e/models/tp-gpt.yaml, tp-llama.yaml) and each layout, the artifact is
compiled for that layout and run under `mpirun -np <ranks>`:
  * `strata-run eval`: logits and loss,
  * `strata-run grad`: every gradient (global layout, gathered from the ranks),
  * `strata-run train --tokens`: 5 AdamW steps (clipping on), the parameters saved at the end
    and the losses of each step,
from the same checkpoint and tokens as the single-rank run, and compared with it (f32, f64):
logits, losses and parameters within 1e-5 relative (max |a - b| / max |b| per tensor),
gradients within 1e-5 relative norm.

By default everything runs twice, in f32 and in f64. The parameters after training are compared
in f64: AdamW divides each gradient element by its own running RMS, so an element whose gradient
is rounding noise (the key bias's gradient is exactly zero in exact arithmetic: softmax ignores a
shift shared by all keys) moves by about the learning rate in a direction set by the noise, in
any two f32 runs that sum in different orders. In f64 such noise is far below AdamW's epsilon.

`--precisions bf16` (or f32,f64,bf16) also runs NeMo/Megatron mixed precision O2
(model.precision=bf16-mixed trainer.precision=bf16-mixed model.megatron_amp_O2=true: bf16
parameters and activations, f32 main parameters, gradients and moments) against the single-rank
bf16 run, with the bf16 tolerances (BF16_* below; docs/parallelism.md has the measured worst
cases). The losses are taken from strata-run's printed lines (the f32 loss), logits are bf16,
gradients f32. The parameters after training are bf16 values; elementwise they cannot be
compared (a noisy element moves by about lr, and a bf16 norm weight near 1 by its spacing
2^-7 when one rounding flips), so each tensor's update (parameters after training minus the
checkpoint) is compared by its relative L2 norm, with the key bias left out: its update is
noise in any bf16 run. A tensor left untouched, or updated with another block's gradient or
moments, still differs by 1 or more.

Layouts are named like tp2dp2 (tensor parallel 2 x data parallel 2; 4 ranks) or tp2pp2
(pipeline parallel 2), pp2v2 (the interleaved schedule with 2 model chunks per stage); a trailing
sp adds sequence parallelism, a suffix -full or -selective activation recomputation, a suffix
-dopt the distributed optimizer (AdamW moments split over dp; model.optim.name=
distributed_fused_adam). Layouts with
pipeline parallelism run a deeper variant of the models (4 layers, 4 micro-batches of 2 per step,
so 1F1B has a steady state), compared with the single-rank run of that same variant.
`--layouts` picks a subset; CI runs representative subsets (ctest e2e.parallel-equivalence in
f32 and f64, e2e.parallel-equivalence-bf16 in bf16), scripts/parallel-matrix.sh runs them all in
every precision. A command that fails is reported and the other commands and layouts still run;
at the end the worst difference of each precision and quantity is printed, with its layout.

Usage:
  parallel_equivalence.py --strata-compile build/bin/strata-compile \\
      --strata-run build/bin/strata-run [--layouts tp2,tp4] [--models tp-gpt]
      [--precisions f32,f64,bf16] [-v]
"""
import argparse
import os
import re
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
# bf16 (mixed precision O2) against the single-rank bf16 run. A partitioned run adds and rounds
# in other orders than the single rank: tensor parallelism adds the row-parallel GEMMs' partial
# products over ranks, sequence parallelism reduce-scatters them, a pipeline stage's program
# fuses differently (bias + GELU is one kernel in the single-rank forward_backward and two in a
# stage's forward_step, so there the GELU input is rounded to bf16), and a tied embedding's two
# gradient halves are added across stages. Each rounding is worth up to bf16's unit roundoff
# u = 2^-8 = 3.9e-3 of the value rounded, and a rounding that flips in one step moves every later
# step. Each tolerance is about 3x the worst difference of the whole matrix (docs/parallelism.md
# has the measurements, per quantity and layout) and far below what a layout that computes
# something wrong gives: a missing all-reduce, a wrong block or a parameter left alone differ by
# O(1).
BF16_LOGITS = 4e-2        # max-rel, ~10 u (bf16 logits; single-rank bf16 vs f32: <= 1.5e-2)
BF16_LOSS = 5e-4          # relative, eval and grad loss (an f32 mean over the tokens)
BF16_GRADIENTS = 8e-2     # rel-norm per tensor, ~20 u (f32 slots summing bf16 products)
BF16_TRAIN_LOSSES = 1e-3  # max-rel over the 5 steps, which drift apart step after step
# The parameters after training are bf16 values (the f32 main parameters are internal), and
# compared by their update (parameters after minus the checkpoint): rel-norm per tensor of the
# difference of the two updates. AdamW moves every element by about lr per step whatever its
# size, so this measures each tensor's training, not its magnitude; rounding moves it by tenths
# (a norm weight near 1 has a bf16 spacing of 2^-7 = 7.8e-3, about one step's update, so one
# flipped rounding there is visible), while a tensor the layout does not update, updates from
# another block or with another rank's moments differs by 1 or more. The key bias is left out
# (without_key_bias).
BF16_PARAMETERS = 0.5
# The compile overrides of each precision. bf16 is NeMo/Megatron mixed precision O2: bf16
# parameters and activations, f32 main parameters, gradient slots and AdamW moments.
PRECISIONS = {
    "f32": ["model.precision=32"],
    "f64": ["model.precision=64"],
    "bf16": ["model.precision=bf16-mixed", "trainer.precision=bf16-mixed",
             "model.megatron_amp_O2=true"],
}
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
        variant), layout and precision (a key of PRECISIONS). Returns the outputs of the
        commands that ran ({"eval": ..., "grad": ..., "params": ..., "losses": ...}) and the
        failures of those that did not, so that one failing command does not hide the others."""
        tag = f"{model.replace(':', '-')}-{layout}-{precision}"
        artifact = self.work / f"{tag}.strata"
        e2e.compile_artifact(self.args.strata_compile, model_file(model), artifact,
                             overrides(sizes) + PRECISIONS[precision] +
                             variant_overrides(model))
        ranks = sizes["tp"] * sizes["pp"] * sizes["dp"]
        sr = [self.args.strata_run]
        common = ["--checkpoint", self.checkpoint(model), "--threads", "1"]
        files = {k: self.work / f"{tag}-{k}.safetensors"
                 for k in ("eval", "grad", "params", "losses")}
        commands = {
            "eval": ["eval", artifact, *common, "--tokens", self.tokens[model],
                     "--out", files["eval"]],
            "grad": ["grad", artifact, *common, "--tokens", self.tokens[model],
                     "--out", files["grad"]],
            "losses": ["train", artifact, *common, "--tokens", self.train_tokens[model],
                       "--steps", str(STEPS), *TRAIN_ARGS, "--save", files["params"],
                       "--out", files["losses"]],
        }
        out, failures = {}, []
        for k, command in commands.items():
            try:
                printed = self.run(ranks, sr + command)
                got = {k: e2e.load(files[k])}
                if k == "losses":
                    got["params"] = e2e.load(files["params"])
                if precision == "bf16":
                    # The loss as strata-run prints it (%.6f of the f32 loss): the `loss` of a
                    # bf16 program's --out files is f32 data under a BF16 header (a runtime
                    # bug: runtime/tooling/numerics_commands.cc writes floats into a BF16
                    # tensor), so it cannot be read from there yet.
                    got[k]["loss"] = printed_losses(printed, k)
            except e2e.E2EError as e:
                failures.append(f"{model} {layout} {precision}: {e}")
                continue
            out.update(got)
        return out, failures

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


def printed_losses(text, command):
    """The losses strata-run prints: 'loss X over N tokens' (eval), 'loss X, N gradients' (grad),
    'step k/N loss X ...' (train; every rank may print its line, the first of each step is
    taken)."""
    if command == "losses":
        steps = {}
        for m in re.finditer(r"^step (\d+)/\d+ loss (\S+)", text, re.M):
            steps.setdefault(int(m.group(1)), float(m.group(2)))
        if sorted(steps) != list(range(1, STEPS + 1)):
            raise e2e.E2EError(f"strata-run train printed the losses of steps {sorted(steps)}, "
                               f"expected 1..{STEPS}:\n{e2e.tail(text)}")
        return np.array([steps[k] for k in sorted(steps)])
    m = re.search(r"^loss (\S+?),? ", text, re.M)
    if not m:
        raise e2e.E2EError(f"strata-run {command} printed no loss:\n{e2e.tail(text)}")
    return np.array(float(m.group(1)))


def limits(precision):
    """{quantity: tolerance} of a precision; a quantity without a tolerance is not compared."""
    if precision == "bf16":
        return {"logits": BF16_LOGITS, "eval loss": BF16_LOSS, "grad loss": BF16_LOSS,
                "gradients": BF16_GRADIENTS, "train losses": BF16_TRAIN_LOSSES,
                "parameters": BF16_PARAMETERS}
    return {"logits": TOLERANCE, "eval loss": TOLERANCE, "grad loss": TOLERANCE,
            "gradients": TOLERANCE, "train losses": TOLERANCE,
            "parameters": TOLERANCE if precision == "f64" else None}


# (precision, quantity) -> (worst value, where), over everything compared; printed at the end.
WORST = {}


def compare(model, layout, got, want, verbose, precision, init):
    """The differences of one layout's outputs from the single-rank ones, as error messages.
    init: the checkpoint both trainings started from (bf16 parameters are compared by their
    updates, see BF16_PARAMETERS)."""
    errors = []
    limit = limits(precision)

    def check(quantity, metric, value, tensor=""):
        where = f" ({tensor})" if tensor else ""
        if verbose or not value <= limit[quantity]:
            print(f"    {model} {layout} {precision} {quantity} {metric}{where}: {value:.2e}")
        key = (precision, quantity)
        if key not in WORST or not value <= WORST[key][0]:
            WORST[key] = (value, f"{model} {layout}{where}")
        if not value <= limit[quantity]:
            errors.append(f"{model} {layout} {precision}: {quantity} {metric}{where} differs by "
                          f"{value:.2e} (limit {limit[quantity]:.0e})")

    have = lambda k: k in got and k in want  # noqa: E731 (a command that failed: no output)
    if have("eval"):
        check("logits", "max-rel", max_rel(got["eval"]["logits"], want["eval"]["logits"]))
        check("eval loss", "rel", max_rel(got["eval"]["loss"], want["eval"]["loss"]))
    if have("grad"):
        check("grad loss", "rel", max_rel(got["grad"]["loss"], want["grad"]["loss"]))
        worst = max((rel_norm(got["grad"][k], want["grad"][k]), k) for k in want["grad"]
                    if k != "loss")
        check("gradients", "worst rel-norm", *worst)
    if have("losses"):
        check("train losses", "max-rel", max_rel(got["losses"]["loss"], want["losses"]["loss"]))
    if not have("params"):
        return errors
    if set(got["params"]) != set(want["params"]):
        errors.append(f"{model} {layout}: saved parameters differ in names")
    elif precision == "f64":
        worst = max((max_rel(got["params"][k], want["params"][k]), k) for k in want["params"])
        check("parameters", f"after {STEPS} steps max-rel", *worst)
    elif precision == "bf16":
        worst = max((rel_norm(*(without_key_bias(k, p[k] - init[k]) for p in
                                 (got["params"], want["params"]))), k)
                    for k in want["params"])
        check("parameters", f"update over {STEPS} steps rel-norm", *worst)
    return errors


def without_key_bias(name, update):
    """|update| of parameter |name|, without the key bias: GPT-2's c_attn.bias is [q | k | v];
    the key third's gradient is zero in exact arithmetic (softmax ignores a shift shared by all
    keys), so under bf16 its AdamW update is rounding noise amplified to about lr per step, in a
    direction the noise sets, different in any two runs (update rel-norm 0.6 to 1.5 measured).
    Llama has no biases."""
    if name.endswith("attn.c_attn.bias"):
        third = update.shape[0] // 3
        return np.concatenate([update[:third], update[2 * third:]])
    return update


def brief(failure):
    """One line of a failed command's message: the strata-run command and its first error."""
    command = re.search(r"strata-run (\w+)", failure)
    error = (re.search(r"^strata-run: error.*$", failure, re.M) or
             re.search(r"^.*error.*$", failure, re.M | re.I))
    return (f"strata-run {command.group(1) if command else '?'} failed: "
            f"{error.group(0).strip() if error else failure.splitlines()[0]}")


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
    p.add_argument("--precisions", default="f32,f64",
                   help=f"comma-separated, of {','.join(PRECISIONS)} (default f32,f64)")
    p.add_argument("--keep", help="keep the work files in this directory")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    if not shutil.which(args.mpirun):
        print(f"skipped: no {args.mpirun}")
        return e2e.SKIP
    layouts = [name for name in args.layouts.split(",") if name]
    precisions = [name for name in args.precisions.split(",") if name]
    for name in precisions:
        if name not in PRECISIONS:
            p.error(f"unknown precision {name!r} (expected some of {','.join(PRECISIONS)})")
    work = args.keep or tempfile.mkdtemp(prefix="strata-parallel-")
    os.makedirs(work, exist_ok=True)
    errors = []
    try:
        runner = Runner(args, work)
        for base in args.models.split(","):
            for model, chosen in variants(base, layouts):
                runner.prepare(model)
                init = e2e.load(runner.checkpoint(model))
                for precision in precisions:
                    want, failed = runner.outputs(model, "single", parse_layout("tp1"),
                                                  precision)
                    if failed:
                        print(f"{model} single {precision}: ERROR")
                        for failure in failed:
                            print(f"    {brief(failure)}", flush=True)
                        errors += failed
                        continue
                    for layout in chosen:
                        print(f"{model} {layout} {precision}: ", end="", flush=True)
                        got, failed = runner.outputs(model, layout, parse_layout(layout),
                                                     precision)
                        found = compare(model, layout, got, want, args.verbose, precision, init)
                        print("ok" if not failed + found else
                              "MISMATCH" if not failed else "ERROR", flush=True)
                        for failure in failed:
                            print(f"    {brief(failure)}", flush=True)
                        errors += failed + found
    except e2e.E2EError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if WORST:
        print("worst per precision and quantity:")
        for (precision, quantity), (value, where) in sorted(WORST.items()):
            print(f"  {precision} {quantity}: {value:.2e} at {where}")
    for error in errors:
        print(f"FAIL: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
